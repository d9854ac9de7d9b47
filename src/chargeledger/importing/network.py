"""Where imported sessions belong: the organisation, its site, and the stations, EVSEs and drivers the mapping may
create."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Engine, select

from ..directory import registry
from ..domain.network import Connector, ConnectorStandard, CurrentType, Evse, Site, Station
from ..storage.tables import connectors, drivers, evses, organisations, sites, stations
from .mapping import Mapping, MappingError, connector_standard


@dataclass
class Placement:
    """What the importer knows of the network, and what it will create on the way (unless dry-running)."""

    organisation: str
    country: str
    site: str | None
    station_sites: dict[str, str] = field(default_factory=dict)   # station id -> site id, stored or to create
    station_orgs: dict[str, str] = field(default_factory=dict)    # stations of other organisations
    known_sites: dict[str, str] = field(default_factory=dict)     # site id -> organisation
    known_drivers: set[str] = field(default_factory=set)
    new_sites: set[str] = field(default_factory=set)
    new_stations: dict[str, str] = field(default_factory=dict)
    new_drivers: set[str] = field(default_factory=set)
    evse_stations: dict[str, str] = field(default_factory=dict)       # EVSE ID -> station, stored or to create
    evse_connectors: dict[str, set[int]] = field(default_factory=dict)
    evse_numbers: dict[str, int] = field(default_factory=dict)        # station -> its highest OCPP EVSE number
    new_evses: dict[str, tuple[str, int]] = field(default_factory=dict)           # EVSE ID -> (station, number)
    new_connectors: dict[tuple[str, int], str] = field(default_factory=dict)      # (EVSE ID, number) -> type


def place(engine: Engine, mapping: Mapping, org: str | None) -> Placement:
    org = org or mapping.organisation
    if not org:
        raise MappingError("no organisation: name it in [network] organisation or pass --org")
    with engine.connect() as conn:
        country = conn.execute(select(organisations.c.country).where(organisations.c.id == org)).scalar()
        if country is None:
            raise MappingError(f"unknown organisation {org}: add it first (chargeledger org add)")
        site_orgs = dict(conn.execute(select(sites.c.id, sites.c.organisation_id)).all())
        station_rows = conn.execute(select(stations.c.id, stations.c.site_id, stations.c.organisation_id)).all()
        known_drivers = set(conn.execute(select(drivers.c.id)).scalars()) if mapping.create_drivers else set()
        evse_rows = conn.execute(select(evses.c.evse_id, evses.c.station_id, evses.c.ocpp_evse_id)).all() \
            if mapping.columns.evse else []
        connector_rows = conn.execute(select(connectors.c.evse_id, connectors.c.connector_id)).all() \
            if mapping.columns.evse else []
    site = mapping.site.replace("{org}", org) if mapping.site else None
    placement = Placement(org, country, site, {s.id: s.site_id for s in station_rows if s.organisation_id == org},
                          {s.id: s.organisation_id for s in station_rows if s.organisation_id != org},
                          site_orgs, known_drivers)
    for evse_id, station_id, number in evse_rows:
        placement.evse_stations[evse_id] = station_id
        placement.evse_connectors[evse_id] = set()
        placement.evse_numbers[station_id] = max(number, placement.evse_numbers.get(station_id, 0))
    for evse_id, connector_id in connector_rows:
        placement.evse_connectors[evse_id].add(connector_id)
    if site is not None:
        owner = site_orgs.get(site)
        if owner is not None and owner != org:
            raise MappingError(f"site {site} belongs to organisation {owner}, not {org}")
        if owner is None:
            if not mapping.site_name:
                raise MappingError(f"unknown site {site}: add it first, or give [network] site_name to create it")
            placement.new_sites.add(site)
    return placement


def station_of(placement: Placement, mapping: Mapping, raw_station: str | None, raw_site: str | None
               ) -> tuple[str | None, str | None] | str:
    """(station id, site id) for a row, or the reason it cannot be placed."""
    site = placement.site
    if raw_site is not None:
        site = mapping.site_prefix.replace("{org}", placement.organisation) + raw_site
        owner = placement.known_sites.get(site)
        if owner is not None and owner != placement.organisation:
            return f"site {site} belongs to organisation {owner}"
        if owner is None:
            if not mapping.auto_create_sites:
                return f"unknown site {site} (auto_create_sites is off)"
            placement.new_sites.add(site)
    if raw_station is None:
        return None, site
    station = mapping.station_prefix.replace("{org}", placement.organisation) + raw_station
    if station in placement.station_orgs:
        return f"station {station} belongs to organisation {placement.station_orgs[station]}"
    if station in placement.station_sites:
        return station, placement.station_sites[station]
    if not mapping.auto_create_stations:
        return f"unknown station {station} (auto_create_stations is off)"
    if site is None:
        return f"station {station} cannot be created: the row has no site"
    placement.station_sites[station] = site
    placement.new_stations[station] = site
    return station, site


def evse_of(placement: Placement, mapping: Mapping, station: str | None, site: str | None, row
            ) -> tuple[str | None, str | None, str | None, int | None] | str:
    """(station, site, EVSE ID, connector) for a row that names an EVSE, or the reason it cannot be placed. A row
    without a station takes its EVSE's; an EVSE or connector met for the first time is created (auto_create_evses)."""
    if row.evse is None:
        return station, site, None, None
    owner = placement.evse_stations.get(row.evse)
    if owner is not None and owner in placement.station_orgs:
        return f"EVSE {row.evse} is on station {owner} of organisation {placement.station_orgs[owner]}"
    if owner is not None and station is not None and owner != station:
        return f"EVSE {row.evse} is on station {owner}, not {station}"
    if owner is None:
        if not mapping.auto_create_evses:
            return f"unknown EVSE {row.evse} (auto_create_evses is off)"
        if station is None:
            return f"EVSE {row.evse} cannot be created: the row has no station"
        number = placement.evse_numbers.get(station, 0) + 1
        placement.evse_numbers[station] = number
        placement.evse_stations[row.evse] = owner = station
        placement.evse_connectors[row.evse] = set()
        placement.new_evses[row.evse] = (station, number)
    connector = row.connector or 1  # an EVSE the import creates has at least one connector
    if connector not in placement.evse_connectors[row.evse]:
        if not mapping.auto_create_evses:
            return f"unknown connector {connector} on EVSE {row.evse} (auto_create_evses is off)"
        kind = row.connector_type or mapping.connector_type
        if kind is None:
            return (f"{mapping.columns.connector_type or 'connector_type'} is empty: connector {connector} of EVSE "
                    f"{row.evse} is created and needs its type ([network] connector_type names one for every row)")
        placement.evse_connectors[row.evse].add(connector)
        placement.new_connectors[(row.evse, connector)] = connector_standard(kind).value
    return owner, placement.station_sites.get(owner, site), row.evse, row.connector


def driver_of(placement: Placement, mapping: Mapping, raw: str | None) -> str | None:
    if raw is None:
        return None
    driver = mapping.driver_prefix.replace("{org}", placement.organisation) + raw
    if mapping.create_drivers and driver not in placement.known_drivers:
        placement.known_drivers.add(driver)
        placement.new_drivers.add(driver)
    return driver


def create_missing(engine: Engine, mapping: Mapping, placement: Placement) -> None:
    """Add the sites, stations and drivers the rows need, in that order (stations need their site)."""
    org = placement.organisation
    for site in sorted(placement.new_sites):
        name = mapping.site_name if site == placement.site and mapping.site_name else site
        registry.add_site(engine, Site(site, org, name, "", "", "", mapping.site_country or placement.country,
                                       mapping.site_time_zone or mapping.time_zone))
        placement.known_sites[site] = org
    placement.new_sites.clear()
    if placement.new_stations:
        registry.add_stations(engine, [Station(station, org, site, station, note=f"created by import {mapping.name}")
                                       for station, site in sorted(placement.new_stations.items())])
    placement.new_stations.clear()
    if placement.new_evses or placement.new_connectors:
        _create_evses(engine, mapping, placement)
    if placement.new_drivers:
        with engine.begin() as conn:
            conn.execute(drivers.insert(), [{"id": d, "organisation_id": org, "name": d}
                                            for d in sorted(placement.new_drivers)])
        placement.new_drivers.clear()



_DC = (ConnectorStandard.CCS, ConnectorStandard.CHADEMO)


def _create_evses(engine: Engine, mapping: Mapping, placement: Placement) -> None:
    def plug(evse_id: str, number: int) -> Connector:
        standard = ConnectorStandard(placement.new_connectors.pop((evse_id, number)))
        return Connector(number, standard, CurrentType.DC if standard in _DC else CurrentType.AC,
                         Decimal(str(mapping.connector_kw)))

    new = []
    for evse_id, (station, number) in sorted(placement.new_evses.items()):
        numbers = sorted(n for e, n in placement.new_connectors if e == evse_id)
        new.append((station, Evse(evse_id, number, tuple(plug(evse_id, n) for n in numbers))))
    registry.add_evses(engine, new, [(e, plug(e, n)) for e, n in sorted(placement.new_connectors)])
    placement.new_evses.clear()
    placement.new_connectors.clear()
