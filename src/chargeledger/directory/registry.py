"""Registering the network. Each function validates, then writes one thing; errors name the field."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, select, update
from sqlalchemy.engine import Connection

from ..access.accounts import hash_password
from ..domain.network import Connector, Evse, Organisation, Site, Station, Team
from ..domain.people import Driver, IdToken, Vehicle, token_key
from ..domain.roaming import RoamingPartner
from ..storage.tables import (
    connectors, drivers, evse_states, evses, id_tokens, organisations, roaming_partners, sites, stations, teams,
    vehicles,
)
from . import changes


class RegistryError(ValueError):
    pass


def _exists(conn: Connection, table, key_column, value) -> bool:
    return conn.execute(select(key_column).where(key_column == value)).first() is not None


def add_organisation(engine: Engine, org: Organisation) -> None:
    if len(org.country) != 2 or len(org.currency) != 3:
        raise RegistryError("country is a 2-letter ISO code and currency a 3-letter ISO 4217 code")
    with engine.begin() as conn:
        if _exists(conn, organisations, organisations.c.id, org.id):
            raise RegistryError(f"organisation {org.id} exists already")
        conn.execute(organisations.insert().values(**asdict(org)))


def add_team(engine: Engine, team: Team) -> None:
    with engine.begin() as conn:
        _require(conn, organisations.c.id, team.organisation_id, "organisation")
        conn.execute(teams.insert().values(**asdict(team)))


def add_site(engine: Engine, site: Site) -> None:
    try:
        ZoneInfo(site.time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RegistryError(f"time_zone {site.time_zone!r} is not an IANA time zone") from exc
    with engine.begin() as conn:
        _require(conn, organisations.c.id, site.organisation_id, "organisation")
        if _exists(conn, sites, sites.c.id, site.id):
            raise RegistryError(f"site {site.id} exists already")
        conn.execute(sites.insert().values(**asdict(site)))


MIN_STATION_PASSWORD = 16  # bytes: OCPP security profile 1 asks for 16 to 40 characters


def check_station_password(password: str) -> None:
    if len(password.encode()) < MIN_STATION_PASSWORD:
        raise RegistryError(f"a station password needs at least {MIN_STATION_PASSWORD} bytes")


def add_station(engine: Engine, station: Station, password: str | None = None,
                billing_profile: dict | None = None, unsecured: bool = False) -> None:
    """Register a station. Without a password it can connect only if `unsecured` (the operator's explicit choice)
    or with a client certificate (security profile 3)."""
    if password is not None:
        check_station_password(password)
    with engine.begin() as conn:
        _register_station(conn, station, password, billing_profile, unsecured, datetime.now(timezone.utc))


def add_stations(engine: Engine, new: list[Station]) -> None:
    """Register several stations (no password: as an import creates them) in one transaction, all or none: one
    commit instead of one a station (an import creating hundreds waited on a disk flush for each)."""
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        for station in new:
            _register_station(conn, station, None, None, False, now)


def _register_station(conn, station: Station, password: str | None, billing_profile: dict | None, unsecured: bool,
                      now: datetime) -> None:
    _require(conn, organisations.c.id, station.organisation_id, "organisation")
    site_org = conn.execute(select(sites.c.organisation_id).where(sites.c.id == station.site_id)).scalar()
    if site_org is None:
        raise RegistryError(f"unknown site {station.site_id}")
    if site_org != station.organisation_id:
        raise RegistryError(f"site {station.site_id} belongs to organisation {site_org}")
    if _exists(conn, stations, stations.c.id, station.id):
        raise RegistryError(f"station {station.id} exists already")
    values = {k: v for k, v in asdict(station).items() if k != "evses"}
    values["ocpp_version"] = station.ocpp_version.value
    conn.execute(stations.insert().values(
        **values, password_hash=hash_password(password) if password else None, billing_profile=billing_profile,
        unsecured=unsecured))
    for evse in station.evses:
        _register_evse(conn, station.id, evse, now)
    changes.changed(conn, changes.Change(changes.LOCATION, station.organisation_id, station.site_id, now))


def _register_evse(conn, station_id: str, evse: Evse, now: datetime) -> None:
    if _exists(conn, evses, evses.c.evse_id, evse.evse_id):
        raise RegistryError(f"EVSE-ID {evse.evse_id} is already in use")
    conn.execute(evses.insert().values(evse_id=evse.evse_id, station_id=station_id, ocpp_evse_id=evse.ocpp_evse_id))
    for c in evse.connectors:
        _register_connector(conn, evse.evse_id, c)
    # not reported yet: published as UNKNOWN until the charger's first status notification
    conn.execute(evse_states.insert().values(evse_id=evse.evse_id, status="UNKNOWN", updated_at=now))


def _register_connector(conn, evse_id: str, c: Connector) -> None:
    conn.execute(connectors.insert().values(evse_id=evse_id, connector_id=c.connector_id, standard=c.standard.value,
                                            current_type=c.current_type.value, rated_kw=c.rated_kw, phases=c.phases))


def add_evses(engine: Engine, new: list[tuple[str, Evse]], new_connectors: list[tuple[str, Connector]] = ()) -> None:
    """EVSEs (with their connectors) on registered stations, and connectors on registered EVSEs, in one
    transaction (as an import meets them in a history file)."""
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        for station_id, evse in new:
            _register_evse(conn, station_id, evse, now)
        for evse_id, connector in new_connectors:
            _register_connector(conn, evse_id, connector)
        station_ids = {station_id for station_id, _ in new} | set(conn.execute(
            select(evses.c.station_id).where(evses.c.evse_id.in_([e for e, _ in new_connectors]))).scalars())
        for org, site in conn.execute(select(stations.c.organisation_id, stations.c.site_id).distinct()
                                      .where(stations.c.id.in_(sorted(station_ids)))).all():
            changes.changed(conn, changes.Change(changes.LOCATION, org, site, now))


def set_station_password(engine: Engine, station_id: str, password: str | None, unsecured: bool = False) -> None:
    """A new password (the old one stops working), or none: then the station connects only if `unsecured`."""
    if password is not None:
        check_station_password(password)
    with engine.begin() as conn:
        done = conn.execute(update(stations).where(stations.c.id == station_id).values(
            password_hash=hash_password(password) if password else None, unsecured=unsecured)).rowcount
    if not done:
        raise RegistryError(f"unknown station {station_id}")


def add_driver(engine: Engine, driver: Driver, tokens: list[IdToken] = (), vehicle: Vehicle | None = None) -> None:
    with engine.begin() as conn:
        _require(conn, organisations.c.id, driver.organisation_id, "organisation")
        conn.execute(drivers.insert().values(**asdict(driver)))
        for token in tokens:
            conn.execute(id_tokens.insert().values(uid=token.uid, uid_key=token_key(token.uid), driver_id=driver.id,
                                                   organisation_id=driver.organisation_id,
                                                   contract_id=token.contract_id, status=token.status.value))
        if vehicle:
            conn.execute(vehicles.insert().values(**asdict(vehicle)))


def add_roaming_partner(engine: Engine, partner: RoamingPartner) -> None:
    with engine.begin() as conn:
        conn.execute(roaming_partners.insert().values(
            id=partner.id, name=partner.name, network=partner.network.value, country_code=partner.country_code,
            party_id=partner.party_id, role=partner.role.value))


def _require(conn: Connection, column, value, what: str) -> None:
    if conn.execute(select(column).where(column == value)).first() is None:
        raise RegistryError(f"unknown {what} {value}")
