"""The session page's Schedule and Reservation cards: the charging profiles that bound the session's transaction
(its TxProfile, else the station's default for its EVSE, under the station-wide maximum), the composite schedule
the station last reported for that EVSE, and the reservation the session used. From the OCPP adapter's stores;
without that adapter, or for a roaming or imported session, there is nothing to show."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Engine

from ..adapters import installed

_MAX = ("ChargingStationMaxProfile", "ChargePointMaxProfile")


def _periods(profile: dict) -> list[dict]:
    """The first schedule's periods as (from second, limit, unit), 1.6 (one schedule) or 2.0.1 (a list)."""
    schedules = profile.get("charging_schedule") or []
    schedule = schedules[0] if isinstance(schedules, list) and schedules else schedules
    if not isinstance(schedule, dict):
        return []
    unit = schedule.get("charging_rate_unit")
    return [{"from_seconds": p.get("start_period"), "limit": p.get("limit"), "unit": unit}
            for p in schedule.get("charging_schedule_period") or []]


def session_schedule(engine: Engine, detail: dict) -> dict:
    station_id, evse = detail.get("station_id"), detail.get("connector_id")
    if not station_id or detail.get("roaming") or not installed(("chargeledger.ocpp.charging_profiles",)):
        return {}
    from ..ocpp import charging_profiles, reservations
    held = charging_profiles.of_station(engine, station_id)
    mine = [p for p in held["profiles"] if detail.get("transaction_id")
            and p["transaction_id"] == str(detail["transaction_id"])]
    defaults = [p for p in held["profiles"] if p["purpose"] == "TxDefaultProfile" and p["connector_id"] in (0, evse)]
    caps = [p for p in held["profiles"] if p["purpose"] in _MAX]
    binding = sorted(mine or defaults, key=lambda p: -p["stack_level"])[:1] + caps[:1]
    composite = held["composite_schedule"]
    if composite and composite.get("connector_id") not in (evse, 0):
        composite = None
    reservation = reservations.of_session(engine, detail["id"], datetime.now(timezone.utc))
    return {
        "schedule": {"profiles": [{**p, "periods": _periods(p["profile"])} for p in binding],
                     "composite": composite} if binding or composite else None,
        "reservation": reservation and {**reservation, "reserved_seconds": (
            reservation["expires_at"] - reservation["created_at"]).total_seconds()},
    }
