"""Which stations may connect, how they authenticate, and what we know about them (organisation, EVSEs)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select, update

from ..access.accounts import _dummy_hash, verify_password
from ..directory import registry
from ..domain.network import OcppVersion, Station
from ..storage.tables import evses, sites, stations


@dataclass(frozen=True)
class StationInfo:
    id: str
    organisation_id: str
    site_id: str
    password_hash: str | None
    unsecured: bool = False
    evse_ids: dict[int, str] = field(default_factory=dict)  # OCPP EVSE/connector number -> EVSE-ID
    registration: str = "Accepted"  # the BootNotification answer the operator chose: Accepted, Pending, Rejected
    heartbeat_interval: int | None = None  # seconds; None: the gateway's default
    ocpp_version: str = "1.6"

    def evse_id(self, number: int | None) -> str | None:
        return self.evse_ids.get(number) if number is not None else None


def find_station(engine: Engine, station_id: str) -> StationInfo | None:
    with engine.connect() as conn:
        row = conn.execute(select(stations).where(stations.c.id == station_id)).first()
        if row is None:
            return None
        numbers = conn.execute(select(evses.c.ocpp_evse_id, evses.c.evse_id)
                               .where(evses.c.station_id == station_id)).all()
    return StationInfo(row.id, row.organisation_id, row.site_id, row.password_hash, bool(row.unsecured),
                       {n: e for n, e in numbers}, row.registration, row.heartbeat_interval, row.ocpp_version)


def auto_register(engine: Engine, station_id: str, site_id: str, version: str,
                  registration: str = "Pending") -> StationInfo:
    """An operator setting: an unknown station joins a site instead of being refused (it has no EVSEs yet). It is
    answered Pending until the operator approves it, unless the operator chose to accept such stations at once."""
    with engine.connect() as conn:
        org = conn.execute(select(sites.c.organisation_id).where(sites.c.id == site_id)).scalar()
    if org is None:
        raise registry.RegistryError(f"auto-registration site {site_id} does not exist")
    try:
        # the operator chose to admit unknown stations: they have no credentials we could check
        registry.add_station(engine, Station(station_id, org, site_id, station_id,
                                             ocpp_version=OcppVersion(version)), unsecured=True)
        set_registration(engine, station_id, registration)
    except registry.RegistryError:
        pass  # registered meanwhile by a concurrent connection
    return find_station(engine, station_id)


def basic_password(header: str | None, station_id: str) -> str | None:
    """Security profile 1/2: the password of HTTP Basic credentials naming this station, else None."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return password if user == station_id else None


def password_ok(station: StationInfo, password: str | None) -> bool:
    """Checked even without a password, against a dummy hash: a missing password costs what a wrong one does."""
    return verify_password(station.password_hash or _dummy_hash(), password or "") and bool(station.password_hash)


def mark_offline(engine: Engine, station_id: str, at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(update(stations).where(stations.c.id == station_id).values(status="Offline", last_seen_at=at))


REGISTRATIONS = ("Accepted", "Pending", "Rejected")


def set_registration(engine: Engine, station_id: str, registration: str | None = None,
                     heartbeat_interval: int | None = None) -> None:
    """The operator's boot policy for a station: approve (Accepted), hold (Pending) or refuse (Rejected)."""
    values = {}
    if registration is not None:
        if registration not in REGISTRATIONS:
            raise registry.RegistryError(f"registration {registration!r}: choose from {', '.join(REGISTRATIONS)}")
        values["registration"] = registration
    if heartbeat_interval is not None:
        if not 1 <= heartbeat_interval <= 86400:
            raise registry.RegistryError("heartbeat_interval is 1 to 86400 seconds")
        values["heartbeat_interval"] = heartbeat_interval
    if not values:
        return
    with engine.begin() as conn:
        if not conn.execute(update(stations).where(stations.c.id == station_id).values(**values)).rowcount:
            raise registry.RegistryError(f"unknown station {station_id}")


def record_boot(engine: Engine, station_id: str, version: str, vendor: str | None, model: str | None,
                serial: str | None, firmware: str | None, at: datetime) -> tuple[str, int | None]:
    """Stores what the station says of itself; returns the operator's answer (registration, heartbeat interval),
    read in the same transaction so an approval is seen by the very next boot."""
    values = {"ocpp_version": version, "last_seen_at": at}
    values.update({k: v for k, v in {"vendor": vendor, "model": model, "serial_number": serial,
                                     "firmware": firmware}.items() if v})
    with engine.begin() as conn:
        conn.execute(update(stations).where(stations.c.id == station_id).values(**values))
        row = conn.execute(select(stations.c.registration, stations.c.heartbeat_interval)
                           .where(stations.c.id == station_id)).one()
        if row.registration == "Accepted":
            conn.execute(update(stations).where(stations.c.id == station_id).values(status="Available"))
    return row.registration, row.heartbeat_interval


def record_seen(engine: Engine, seen: dict[str, datetime]) -> None:
    """Heartbeats only move last_seen_at: written in batches, not one transaction per heartbeat."""
    if not seen:
        return
    with engine.begin() as conn:
        for station_id, at in seen.items():
            conn.execute(update(stations).where(stations.c.id == station_id).values(last_seen_at=at))
