"""What the CSMS does with an EV's charging needs (2.0.1 K15-K17, ISO 15118): the schedule of domain.ev_schedule for
the transaction on that EVSE, within the station's share of its site's grid limit, sent as a TxProfile once our
answer is out (the station holds the EV's request until it has it); and the EV's own schedule
(NotifyEVChargingSchedule) checked against the TxProfile the station accepted from us."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Iterable

from sqlalchemy import Engine, select

from ..domain import ev_schedule
from ..storage.tables import charging_profiles, sessions
from . import site_limit
from .times import iso, read_time

PROFILE_ID_BASE = 900_100  # + the EVSE: new needs on an EVSE (K17 renegotiation) replace what we sent it
STACK_LEVEL = 0


def transaction_on(engine: Engine, recorder, station_id: str, evse_id: int) -> str | None:
    """The station's transactionId of the transaction running on the EVSE: a TxProfile is bound to one."""
    with engine.connect() as conn:
        current = recorder.current(conn, station_id, evse_id)
        if current is None or not current.started or current.stopped:
            return None
        return conn.execute(select(sessions.c.transaction_id).where(sessions.c.id == current.session_id)).scalar()


def station_cap_w(engine: Engine, station_id: str, site_id: str, online: Iterable[str]) -> Decimal | None:
    """The station's share of its site's limit (as site_limit shares it among connected stations), in watts."""
    limit, members = site_limit.limit_and_stations(engine, site_id)
    if limit is None:
        return None
    sharing = [s for s in members if s in set(online) | {station_id}]
    return site_limit.shares(limit, sharing)[station_id] * 1000


def set_charging_profile(transaction_id: str, evse_id: int, plan: ev_schedule.Plan) -> dict:
    """The SetChargingProfile (camelCase) that carries the plan to the station for this transaction."""
    schedule = {"id": 1, "chargingRateUnit": "W", "startSchedule": iso(plan.start.replace(microsecond=0)),
                "chargingSchedulePeriod": [{"startPeriod": p.start_s, "limit": float(p.limit_w)}
                                           for p in plan.periods]}
    if plan.duration_s is not None:
        schedule["duration"] = plan.duration_s
    return {"evseId": evse_id, "chargingProfile": {
        "id": PROFILE_ID_BASE + evse_id, "stackLevel": STACK_LEVEL, "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Absolute", "transactionId": transaction_id, "chargingSchedule": [schedule]}}


def answer_needs(engine: Engine, recorder, station, online: Iterable[str], evse_id: int, charging_needs: dict,
                 max_tuples: int | None, now: datetime) -> tuple[dict | None, dict]:
    """The SetChargingProfile to send (None: we cannot give a schedule) and what to keep of our answer."""
    transaction_id = transaction_on(engine, recorder, station.id, evse_id)
    if transaction_id is None:
        return None, {"reason": "no transaction on the EVSE to bind a schedule to"}
    departure = charging_needs.get("departure_time")
    try:
        needs = ev_schedule.needs(charging_needs, read_time(departure) if departure else None)
    except (KeyError, ValueError, ArithmeticError) as exc:
        return None, {"reason": f"charging needs we cannot read: {exc}"}
    cap = station_cap_w(engine, station.id, station.site_id, online)
    plan = ev_schedule.plan(needs, cap, now, max_tuples)
    body = set_charging_profile(transaction_id, evse_id, plan)
    return body, {"transaction_id": transaction_id, "feasible": plan.feasible, "station_cap_w": _text(cap),
                  "ev_max_power_w": _text(needs.max_power_w), "energy_wh": _text(needs.energy_wh),
                  "profile_id": body["chargingProfile"]["id"]}


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.1")))


def held_tx_profile(engine: Engine, station_id: str, evse_id: int) -> dict | None:
    c = charging_profiles.c
    with engine.connect() as conn:
        row = conn.execute(select(charging_profiles.c.profile, c.set_at).where(
            c.station_id == station_id, c.connector_id == evse_id, c.purpose == "TxProfile")
            .order_by(c.set_at.desc()).limit(1)).first()
    return None if row is None else {**row.profile, "_set_at": row.set_at}


def check_ev_schedule(engine: Engine, station_id: str, evse_id: int, time_base: str,
                      charging_schedule: dict) -> tuple[str, int | None]:
    """Accepted when the EV's schedule stays within the TxProfile the station holds for the EVSE (or there is
    none to exceed), Rejected otherwise; with the id of the profile it was checked against."""
    held = held_tx_profile(engine, station_id, evse_id)
    if held is None:
        return "Accepted", None
    schedule = held["charging_schedule"][0]
    start = read_time(schedule["start_schedule"]) if schedule.get("start_schedule") else held["_set_at"]
    theirs = ev_schedule.steps(read_time(time_base), charging_schedule)
    fits = ev_schedule.within(ev_schedule.steps(start, schedule), theirs)
    return ("Accepted" if fits else "Rejected"), held["id"]
