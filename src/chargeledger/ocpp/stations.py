"""Which stations may connect, how they authenticate, and what we know about them (organisation, EVSEs)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select, update

from ..directory import registry
from ..domain.network import OcppVersion, Station
from ..storage.tables import evses, sites, stations
from .registration import ACCEPTED, PENDING, REJECTED, checked


@dataclass(frozen=True, slots=True)  # one per held connection
class StationInfo:
    id: str
    organisation_id: str
    site_id: str
    password_hash: str | None
    unsecured: bool = False
    registration: str = "Accepted"  # the BootNotification answer the operator's policy gives (ocpp/registration.py)
    evse_ids: dict[int, str] = field(default_factory=dict)  # OCPP EVSE/connector number -> EVSE-ID
    ocpp_version: str = "1.6"  # as registered
    security_profile: int | None = None  # the lowest it may connect with (ocpp/security_profile.py)
    security_profile_asked: int | None = None  # a higher one it accepted, applied at its next connection

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
                       row.registration, {n: e for n, e in numbers}, row.ocpp_version, row.security_profile,
                       row.security_profile_asked)


def auto_register(engine: Engine, station_id: str, site_id: str, version: str,
                  registration: str = PENDING) -> StationInfo:
    """An operator setting: an unknown station joins a site instead of being refused (it has no EVSEs yet); by
    default it waits as Pending until the operator approves it."""
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


def record_boot(engine: Engine, station_id: str, version: str, vendor: str | None, model: str | None,
                serial: str | None, firmware: str | None, at: datetime) -> str:
    """Keeps what the station says about itself (also when it is not Accepted: the operator sees who knocks) and
    returns its registration, read now: the operator may have approved it since it connected."""
    values = {"ocpp_version": version, "last_seen_at": at}
    values.update({k: v for k, v in {"vendor": vendor, "model": model, "serial_number": serial,
                                     "firmware": firmware}.items() if v})
    with engine.begin() as conn:
        registration = conn.execute(select(stations.c.registration).where(stations.c.id == station_id)).scalar()
        if registration == ACCEPTED:
            values["status"] = "Available"
        conn.execute(update(stations).where(stations.c.id == station_id).values(**values))
    return registration or REJECTED


def set_registration(engine: Engine, station_id: str, status: str) -> str | None:
    """The operator approves (Accepted), holds (Pending) or refuses (Rejected) a station; returns its registration
    before, or None for an unknown station."""
    with engine.begin() as conn:
        before = conn.execute(select(stations.c.registration).where(stations.c.id == station_id)).scalar()
        if before is not None:
            conn.execute(update(stations).where(stations.c.id == station_id).values(registration=checked(status)))
        return before

