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
                       {n: e for n, e in numbers})


def auto_register(engine: Engine, station_id: str, site_id: str, version: str) -> StationInfo:
    """An operator setting: an unknown station joins a site instead of being refused (it has no EVSEs yet)."""
    with engine.connect() as conn:
        org = conn.execute(select(sites.c.organisation_id).where(sites.c.id == site_id)).scalar()
    if org is None:
        raise registry.RegistryError(f"auto-registration site {site_id} does not exist")
    try:
        # the operator chose to admit unknown stations: they have no credentials we could check
        registry.add_station(engine, Station(station_id, org, site_id, station_id,
                                             ocpp_version=OcppVersion(version)), unsecured=True)
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


def record_boot(engine: Engine, station_id: str, version: str, vendor: str | None, model: str | None,
                serial: str | None, firmware: str | None, at: datetime) -> None:
    values = {"ocpp_version": version, "last_seen_at": at, "status": "Available"}
    values.update({k: v for k, v in {"vendor": vendor, "model": model, "serial_number": serial,
                                     "firmware": firmware}.items() if v})
    with engine.begin() as conn:
        conn.execute(update(stations).where(stations.c.id == station_id).values(**values))
