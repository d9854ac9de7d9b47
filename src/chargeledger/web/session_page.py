"""Everything the session page shows, assembled from the same session detail JSON the API serves."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, HTTPException
from sqlalchemy import Engine

from ..access import audit
from ..access.rights import Caller, Right
from ..http.routes.sessions import session_get
from .context_strip import session_context
from .formatting import decimal, parse_time
from .geo import distance_text, haversine_km
from .impact import impact
from .session_schedule import session_schedule

ACTIVE = {"Pending", "Starting", "Charging", "Paused", "Stopping"}
STATUS_TONE = {"Pending": "info", "Starting": "info", "Charging": "live", "Paused": "warning", "Stopping": "info",
               "Stopped": "success", "Completed": "success", "Cancelled": "muted", "Failed": "error"}
FLAG_CATEGORY = {"session_silent": "Compliance", "orphan_stop": "Compliance", "force_closed": "Compliance",
                 "closed_by_station": "Data quality", "token_not_accepted": "Authorisation"}
MILESTONE_TEXT = {
    "Created": "the session was registered", "Starting": "start request sent to the EVSE",
    "Charging": "energy flow began", "Stopping": "stop request sent", "Stopped": "energy delivery ended",
    "Completed": "the session is settled", "Failed": "the session ended in error",
    "Released": "the connector was released",
}


def has_route(app: FastAPI, method: str, path: str) -> bool:
    """Whether the API offers an endpoint (from the OpenAPI schema: included routers are not listed flat)."""
    return method.lower() in app.openapi().get("paths", {}).get(path, {})


def _last(events: list[dict], kind: str) -> dict | None:
    found = [e for e in events if e["kind"] == kind]
    return found[-1] if found else None


def _energy_limit_wh(events: list[dict]) -> float | None:
    # A kWh limit travels on the start request or transaction start when the driver or operator set one.
    for e in events:
        if e["kind"] in ("start_requested", "transaction_started", "session_created"):
            p = e["payload"]
            if p.get("energy_limit_wh"):
                return float(p["energy_limit_wh"])
            if p.get("kwh_limit"):
                return float(p["kwh_limit"]) * 1000
    return None


def _odometer(events: list[dict]) -> dict | None:
    readings = [{"km": e["payload"].get("km"), "source": e["payload"].get("source") or "unknown",
                 "at": e["occurred_at"], "winning": bool(e["payload"].get("winning"))}
                for e in events if e["kind"] == "odometer_read"]
    if not readings:
        return None
    # The reading marked winning wins; otherwise the latest telematics one, then the latest of any source.
    winner = next((r for r in readings if r["winning"]), None) or next(
        (r for r in reversed(readings) if r["source"] == "telematics"), readings[-1])
    winner["winning"] = True
    values = {r["km"] for r in readings}
    groups: dict[str, list[dict]] = {}
    for r in readings:
        groups.setdefault(r["source"], []).append(r)
    return {"groups": groups, "winner": winner, "disputed": len(values) > 1}


def _snapshots(events: list[dict], country: str | None) -> dict | None:
    snaps = {e["payload"].get("at"): {**e["payload"], "time": e["occurred_at"]}
             for e in events if e["kind"] == "vehicle_snapshot"}
    if not snaps:
        return None
    start, stop = snaps.get("start"), snaps.get("stop")
    out: dict[str, Any] = {"start": start, "stop": stop, "distance": None, "soc_delta": None, "odometer_delta": None}
    if start and stop:
        if None not in (start.get("latitude"), start.get("longitude"), stop.get("latitude"), stop.get("longitude")):
            km = haversine_km(float(start["latitude"]), float(start["longitude"]),
                              float(stop["latitude"]), float(stop["longitude"]))
            out["distance"] = distance_text(km, country)
        if start.get("soc") is not None and stop.get("soc") is not None:
            out["soc_delta"] = float(stop["soc"]) - float(start["soc"])
        if start.get("odometer_km") is not None and stop.get("odometer_km") is not None:
            out["odometer_delta"] = float(stop["odometer_km"]) - float(start["odometer_km"])
    return out


def _alerts(detail: dict, ctx: dict) -> list[dict]:
    alerts = []
    for flag in detail["flags"]:
        if not flag["resolved"]:
            category = FLAG_CATEGORY.get(flag["code"], "Data quality")
            alerts.append({"title": f"{category}: " + flag["code"].replace("_", " "), "text": flag["detail"],
                           "severity": flag["severity"]})
    for payment in (detail.get("money") or {}).get("payments") or []:
        if payment.get("status") in ("pending", "failed") and Decimal(str(payment.get("unsettled_amount") or 0)) > 0:
            alerts.append({"title": "Payment retry in progress",
                           "text": f"{payment.get('unsettled_amount')} {payment.get('currency')} not yet captured"
                                   + (f" ({payment['failure_reason']})" if payment.get("failure_reason") else ""),
                           "severity": "warning"})
    if detail["station_id"] and ctx["station"] is None:
        alerts.append({"title": "Configuration warning", "severity": "warning",
                       "text": f"station {detail['station_id']} is not registered in the network"})
    elif detail["evse_id"] and not ctx["evse_known"] and not detail.get("roaming"):
        alerts.append({"title": "Configuration warning", "severity": "warning",
                       "text": f"EVSE-ID {detail['evse_id']} is not registered on its station"})
    return alerts


def _signed_meter(engine: Engine, caller: Caller, session_id: int) -> list[dict] | None:
    try:
        from ..http.routes.signed_meter import signed_meter_values
    except ImportError:  # pyocmf not installed: no verification here
        return None
    return signed_meter_values(session_id, caller, engine)["items"] or None


def _kpis(detail: dict, money: dict | None, finance: bool, payments: list[dict]) -> dict:
    energy_kwh = Decimal(str(detail["energy_wh"] or 0)) / 1000
    limit = _energy_limit_wh(detail["events"])
    start, stop = parse_time(detail["started_at"]), parse_time(detail["stopped_at"])
    live_end = stop or (datetime.now(timezone.utc) if detail["status"] in ACTIVE else None)
    elapsed = (live_end - start).total_seconds() if start and live_end else None
    out: dict[str, Any] = {"energy_kwh": energy_kwh, "limit_kwh": None, "limit_percent": None,
                           "duration_seconds": (stop - start).total_seconds() if start and stop else None,
                           # the seed's definition: delivered kWh over the duration (charging intervals seen
                           # so far overstated it on live and short sessions)
                           "average_power_kw": float(energy_kwh) * 3600 / elapsed if elapsed else None}
    if limit:
        out["limit_kwh"] = Decimal(str(limit)) / 1000
        out["limit_percent"] = float(energy_kwh * 100 / out["limit_kwh"])
    if money:
        price, net = decimal(money.get("payment_total")), decimal(money.get("subtotal"))
        out["price"] = price
        out["price_per_kwh"] = price / energy_kwh if price is not None and energy_kwh else None
        refunded = sum((decimal(p["refunded"]) or Decimal(0) for p in payments), Decimal(0))
        if refunded:  # the driver's price after refunds, next to what was billed
            out["refunded"], out["net_paid"] = refunded, sum((p["net_paid"] for p in payments), Decimal(0))
        cost, margin = decimal(money.get("electricity_cost")), decimal(money.get("margin"))
        if finance and cost is not None and cost == 0 and energy_kwh:
            # electricity is never free: a zero cost means no cost source was configured, not a 100 % margin
            out["no_cost_data"] = True
        elif finance and cost is not None:
            margin = margin if margin is not None else (net or price or Decimal(0)) - cost
            out.update(cost=cost, cost_per_kwh=cost / energy_kwh if energy_kwh else None, margin=margin,
                       margin_percent=(margin * 100 / net) if net else None,
                       margin_per_kwh=margin / energy_kwh if energy_kwh else None)
    return out


def _breakdowns(engine: Engine, caller: Caller, session_id: int) -> dict[str, Any] | None:
    """The price breakdown with and without VAT, from the money API's own rendering."""
    try:
        from ..http.routes.money import session_breakdown
        return {vat: session_breakdown(session_id, vat, caller, engine) for vat in ("incl", "excl")}
    except (ImportError, HTTPException):
        return None


def session_page(app: FastAPI, engine: Engine, caller: Caller, session_id: int) -> dict[str, Any]:
    detail = session_get(session_id, caller, engine)  # same JSON, same scoping, same enrichments as the API
    ctx = session_context(engine, caller, detail)
    money = (detail.get("money") or {}).get("settlement")  # None until the session is priced and settled
    payments = [{**p, "net_paid": decimal(p["amount_captured"]) - decimal(p["refunded"])}
                for p in (detail.get("money") or {}).get("payments") or []]
    finance, support = caller.has(Right.FINANCE), caller.has(Right.SUPPORT)
    active = detail["status"] in ACTIVE
    # our own charge point, whoever's driver charged on it (a roaming driver's session keeps its charger and log)
    ours = bool(detail["station_id"]) and ctx["station"] is not None
    kpis = _kpis(detail, money, finance, payments)
    if active and not money:
        from .live_price import running_price_of
        kpis["running_price"] = running_price_of(engine, session_id)
    refundable = decimal((detail.get("money") or {}).get("refundable"))
    return {
        **session_schedule(engine, detail),
        "detail": detail, "ctx": ctx, "money": money, "kpis": kpis, "active": active, "ours": ours,
        "tone": STATUS_TONE.get(detail["status"], "info"), "alerts": _alerts(detail, ctx),
        "finance": finance, "support": support, "milestone_text": MILESTONE_TEXT,
        "can_stop": active and ours and support and detail["status"] != "Stopping"
                    and app.state.gateway is not None and has_route(app, "POST", "/api/sessions/{session_id}/stop"),
        # a session the charger will never end (replaced, dead, its stop lost): closed by hand, with a reason
        "can_end": active and support,
        "can_refund": (support or finance) and refundable is not None and refundable > 0
                      and has_route(app, "POST", "/api/sessions/{session_id}/refunds"),
        "refundable": refundable,
        "has_receipt": bool(money) and decimal(money.get("payment_total")) is not None,
        "payments": payments, "breakdown": _breakdowns(engine, caller, session_id) if money else None,
        "has_logs": ours and (support or caller.has(Right.STATIONS))
                    and has_route(app, "GET", "/api/sessions/{session_id}/ocpp-log"),
        "rating": _last(detail["events"], "driver_rated"),
        "odometer": _odometer(detail["events"]),
        "signed_meter": _signed_meter(engine, caller, session_id) if ours else None,
        "snapshots": _snapshots(detail["events"], ctx["country"]),
        "flag_category": FLAG_CATEGORY,
        "impact": impact(detail["energy_wh"], ctx["country"], ctx["currency"], kpis.get("price_per_kwh")),
        "operator_actions": audit.entries(engine, caller.organisation_ids, target_kind="session",
                                          target_id=str(session_id), limit=20),
    }
