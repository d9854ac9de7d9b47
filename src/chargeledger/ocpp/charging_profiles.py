"""Charging profiles a station holds, for both OCPP versions: recorded from each SetChargingProfile it accepted and
each ClearChargingProfile it accepted (whoever built the message), and from the profiles it reports
(ReportChargingProfiles). Profiles are kept in OCPP's own camelCase JSON, as the station has them."""

from __future__ import annotations

from datetime import datetime

from ocpp.charge_point import snake_to_camel_case
from sqlalchemy import Engine, and_, select, update

from ..storage.tables import charging_profiles
from ..storage.upsert import upsert

INSTALLED, CLEARED = "Installed", "Cleared"


def _row(station_id: str, evse: int, profile: dict, source: str, at: datetime) -> dict:
    """A profile in snake_case (1.6 or 2.0.1 names) as a row."""
    return {"station_id": station_id, "profile_id": profile.get("id", profile.get("charging_profile_id")),
            "evse": evse or 0, "purpose": profile["charging_profile_purpose"], "stack_level": profile["stack_level"],
            "transaction_id": str(profile["transaction_id"]) if profile.get("transaction_id") is not None else None,
            "profile": snake_to_camel_case(profile), "status": INSTALLED, "source": source, "updated_at": at}


def _replace(conn, rows: list[dict], at: datetime) -> None:
    """A new profile replaces the one with its id, and one of the same purpose and stack level on the same EVSE."""
    for row in rows:
        conn.execute(update(charging_profiles).where(
            charging_profiles.c.station_id == row["station_id"], charging_profiles.c.status == INSTALLED,
            charging_profiles.c.evse == row["evse"], charging_profiles.c.purpose == row["purpose"],
            charging_profiles.c.stack_level == row["stack_level"],
            charging_profiles.c.profile_id != row["profile_id"]).values(status=CLEARED, updated_at=at))
    upsert(conn, charging_profiles, rows, ["station_id", "profile_id"])


def installed(engine: Engine, station_id: str, version: str, request: dict, source: str, at: datetime) -> None:
    """SetChargingProfile accepted (request in the library's snake_case)."""
    if version == "1.6":
        row = _row(station_id, request["connector_id"], request["cs_charging_profiles"], source, at)
    else:
        row = _row(station_id, request["evse_id"], request["charging_profile"], source, at)
    with engine.begin() as conn:
        _replace(conn, [row], at)


def reported(engine: Engine, station_id: str, evse: int, profiles: list[dict], at: datetime) -> None:
    """ReportChargingProfiles: what the station says it holds on this EVSE."""
    with engine.begin() as conn:
        _replace(conn, [_row(station_id, evse, p, "station", at) for p in profiles or []], at)


def cleared(engine: Engine, station_id: str, version: str, request: dict, at: datetime) -> int:
    """ClearChargingProfile accepted: by id, or by EVSE, purpose and stack level (each optional)."""
    if version == "1.6":
        profile_id, evse = request.get("id"), request.get("connector_id")
        purpose, stack_level = request.get("charging_profile_purpose"), request.get("stack_level")
    else:
        criteria = request.get("charging_profile_criteria") or {}
        profile_id, evse = request.get("charging_profile_id"), criteria.get("evse_id")
        purpose, stack_level = criteria.get("charging_profile_purpose"), criteria.get("stack_level")
    c = charging_profiles.c
    match = [c.station_id == station_id, c.status == INSTALLED]
    if profile_id is not None:
        match.append(c.profile_id == profile_id)
    match += [column == value for column, value in ((c.evse, evse), (c.purpose, purpose),
                                                    (c.stack_level, stack_level)) if value is not None]
    with engine.begin() as conn:
        return conn.execute(update(charging_profiles).where(and_(*match)).values(status=CLEARED,
                                                                                 updated_at=at)).rowcount


def listing(engine: Engine, station_id: str, include_cleared: bool = False) -> list[dict]:
    query = select(charging_profiles).where(charging_profiles.c.station_id == station_id)
    if not include_cleared:
        query = query.where(charging_profiles.c.status == INSTALLED)
    with engine.connect() as conn:
        return [{k: v for k, v in row.items() if k != "station_id"} for row in conn.execute(
            query.order_by(charging_profiles.c.evse, charging_profiles.c.purpose,
                           charging_profiles.c.stack_level.desc())).mappings()]


def for_transaction(engine: Engine, station_id: str, transaction_id: str) -> list[dict]:
    """The profiles that bind one transaction (the Schedule card): its TxProfile, else the station's defaults."""
    held = listing(engine, station_id)
    own = [p for p in held if p["transaction_id"] == transaction_id]
    return own or [p for p in held if p["purpose"] in ("TxDefaultProfile", "ChargingStationMaxProfile",
                                                       "ChargePointMaxProfile")]
