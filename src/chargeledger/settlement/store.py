"""Settling a stored session: freeze its tariff, price its usage, write a settlement version, take payment.

A settlement row is never changed except for `current`: re-pricing adds version n+1 and the earlier one stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..domain.events import EventKind, EventSource
from ..domain.projection import SessionStatus, project
from ..ledger.outbox import committed
from ..ledger.store import Ledger, NewEvent, lock_sessions
from ..pricing import PricedSession, Tariff, price_usage
from ..storage.locks import write_lock
from ..storage.tables import (
    drivers, organisations, session_events, session_settlements, sessions, sites, stations, teams,
)
from ..tariffs.store import _from_store, decimals_as_text, tariffs_in_force
from .breakdown import stored_breakdown
from .compute import Settlement, SettlementContext, settle
from .electricity import electricity_cost
from .profile import parse_profile
from .rates import exchange_rate_at, hourly_prices
from .usage import energy_slices, facts_of, usage_of


class SettlementError(ValueError):
    pass


def _now() -> datetime:
    return datetime.now(timezone.utc)


def freeze_tariff(engine: Engine, session_id: int, refreeze: bool = False, now: datetime | None = None
                  ) -> dict[str, Any] | None:
    """Record the tariff in force at the session's start on the session (TARIFF_FROZEN); idempotent.

    With refreeze (an operator's tariff correction) the newest version in force is frozen again.
    """
    ledger = Ledger(engine)
    frozen = frozen_tariff(ledger, session_id)
    if frozen is not None and not refreeze:
        return frozen
    freeze_tariffs(engine, [session_id], now, refreeze=True)
    return frozen_tariff(ledger, session_id)


def freeze_tariffs(engine: Engine, session_ids: list[int], now: datetime | None = None, refreeze: bool = False
                   ) -> None:
    """freeze_tariff for many sessions (the outbox worker's batch of starts): the tariffs are looked up first, then
    every TARIFF_FROZEN is appended in one transaction."""
    e = session_events.c
    with engine.connect() as conn:
        done = set() if refreeze else set(conn.execute(select(e.session_id).where(
            e.session_id.in_(session_ids), e.kind == EventKind.TARIFF_FROZEN.value)).scalars())
        rows = conn.execute(select(sessions).where(sessions.c.id.in_(set(session_ids) - done))).all()
    found = []
    in_force = tariffs_in_force(engine, [(row.started_at or row.created_at, row.organisation_id, row.site_id,
                                          row.station_id, row.evse_id) for row in rows])
    for row, stored in zip(rows, in_force):
        if stored is not None:
            found.append((row.id, NewEvent(EventKind.TARIFF_FROZEN, now or _now(), EventSource.SYSTEM, {
                "tariff_id": stored.tariff_id, "version": stored.version, "currency": stored.currency,
                "ocpi": decimals_as_text(stored.ocpi)},
                idempotency_key=f"tariff_frozen:{row.id}:{stored.tariff_id}:{stored.version}")))
    if not found:
        return
    with engine.begin() as conn:
        Ledger(engine).append_many(conn, [(session_id, [event]) for session_id, event in found])
    committed(engine)


def frozen_tariff(ledger: Ledger, session_id: int) -> dict[str, Any] | None:
    return _last_frozen(ledger.events(session_id))


def _last_frozen(events: list) -> dict[str, Any] | None:
    frozen = [e for e in events if e.kind == EventKind.TARIFF_FROZEN]
    return dict(frozen[-1].payload) if frozen else None


def _free_tariff(currency: str) -> Tariff:
    return Tariff.from_ocpi({"id": "FREE", "currency": currency,
                             "elements": [{"price_components": [{"type": "ENERGY", "price": Decimal(0),
                                                                 "step_size": 1}]}]})


def _partner_cost(events: list) -> Decimal | None:
    """The cost a partner's CDR file gave for the session (excl. VAT), from its latest recording, if any."""
    recorded = [e for e in events if e.kind == EventKind.SESSION_RECORDED]
    cost = recorded[-1].get("partner_calculated_cost") if recorded else None
    return Decimal(str(cost)) if cost is not None else None


def _partner_tariff(cost: Decimal, currency: str, ours: dict | None) -> Tariff:
    """A partner CDR keeps the cost its file gave: one flat price of that amount, with our tariff's VAT rate (the
    file's cost is excl. VAT), instead of re-pricing the session by our tariff."""
    vat = next((c.get("vat") for e in (ours or {}).get("elements", []) for c in e.get("price_components", [])
                if c.get("vat") is not None), None)
    component = {"type": "FLAT", "price": cost, "step_size": 1, **({"vat": Decimal(str(vat))} if vat else {})}
    return Tariff.from_ocpi({"id": "PARTNER-CDR", "currency": currency, "elements": [{"price_components": [component]}]})


def _context(engine: Engine, row, view, profile, currency: str, priced, zone, org=None) -> SettlementContext:
    cap = None
    if org is None or view.identity.driver_id:
        with engine.connect() as conn:
            if org is None:
                org = conn.execute(select(organisations).where(organisations.c.id == row.organisation_id)).one()
            if view.identity.driver_id:
                cap = conn.execute(select(teams.c.kwh_price_cap).join(drivers, drivers.c.team_id == teams.c.id)
                                   .where(drivers.c.id == view.identity.driver_id)).scalar()
    settle_cur = profile.settlement_currency or currency
    rate = exchange_rate_at(engine, row.organisation_id, currency, settle_cur, _now())
    if rate is None:
        raise SettlementError(f"no exchange rate {currency}->{settle_cur} for organisation {row.organisation_id}")
    slices = energy_slices(priced)
    prices = None
    if profile.cost.kind == "hourly" and slices:
        prices = hourly_prices(engine, profile.cost.market, slices[0].start, slices[-1].end)
    cost = electricity_cost(profile.cost, slices, zone, prices)
    custom = view.custom_fields or {}
    own = view.roaming is None or view.roaming.roaming_cdr_id is None
    return SettlementContext(
        prices_include_tax=bool(org.prices_include_tax), own_session=own,
        cancelled=view.status == SessionStatus.CANCELLED or view.energy_wh <= 0,
        team_kwh_price_cap=Decimal(cap) if cap is not None else None,
        membership_plan=custom.get("membership_plan"), promotion_code=custom.get("promotion_code"),
        exchange_rate=rate, electricity_cost=cost.amount), cost.missing_hours


@dataclass(frozen=True)
class Computed:
    """A session priced and settled as of a moment, not stored: what settle_session writes, and what a live
    session's running price shows (one way to price both)."""
    result: Settlement
    priced: PricedSession
    frozen: dict[str, Any] | None
    missing_hours: list


@dataclass(frozen=True)
class Facts:
    """What pricing a session reads from the database: read for many sessions at once by `facts_of_many`."""
    row: Any
    place: Any
    org: Any
    events: list
    samples: list


def facts_of_many(engine: Engine, session_ids: list[int]) -> dict[int, Facts]:
    """The facts of many sessions in five queries (the outbox worker's batch), instead of six per session."""
    ledger = Ledger(engine)
    with engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(sessions).where(sessions.c.id.in_(session_ids)))}
        if not rows:
            return {}
        places = {r.id: r for r in conn.execute(
            select(stations.c.id, sites.c.time_zone, stations.c.billing_profile)
            .select_from(stations.join(sites, sites.c.id == stations.c.site_id))
            .where(stations.c.id.in_({r.station_id for r in rows.values() if r.station_id})))}
        orgs = {r.id: r for r in conn.execute(select(organisations).where(
            organisations.c.id.in_({r.organisation_id for r in rows.values()})))}
        events = ledger.events_many(list(rows), conn)
        samples = ledger.samples_many(list(rows), conn)
    return {sid: Facts(row, places.get(row.station_id), orgs[row.organisation_id], events[sid], samples[sid])
            for sid, row in rows.items()}


def compute_settlement(engine: Engine, session_id: int, now: datetime, events: list | None = None,
                       facts: Facts | None = None) -> Computed | None:
    """The session's settlement as if it ended at `now` (a live one) or as it ended; None while it has no usage.
    `events`: the session's ledger events when the caller has read them already (each is read once); `facts`:
    everything it reads, read already (its tariff frozen; else it is read again after freezing)."""
    if facts is not None and _last_frozen(facts.events) is not None:
        return _computed(engine, facts.row, facts.place, facts.org.currency, facts.events,
                         project(facts.events, facts.samples, now=now), facts.org)
    ledger = Ledger(engine)
    with engine.connect() as conn:
        row = conn.execute(select(sessions).where(sessions.c.id == session_id)).first()
        if row is None:
            raise SettlementError(f"no session {session_id}")
        place = conn.execute(select(sites.c.time_zone, stations.c.billing_profile)
                             .select_from(stations.join(sites, sites.c.id == stations.c.site_id))
                             .where(stations.c.id == row.station_id)).first()
        org_currency = conn.execute(select(organisations.c.currency)
                                    .where(organisations.c.id == row.organisation_id)).scalar()
        events = events if events is not None else ledger.events(session_id, conn)
        frozen = _last_frozen(events)
        if frozen is None:
            frozen = freeze_tariff(engine, session_id, now=now)
            events = ledger.events(session_id, conn)
        view = project(events, ledger.samples(session_id, conn), now=now)
    return _computed(engine, row, place, org_currency, events, view)


def _computed(engine: Engine, row, place, org_currency: str, events: list, view, org=None) -> Computed | None:
    frozen = _last_frozen(events)
    tariff = Tariff.from_ocpi(_from_store(frozen["ocpi"])) if frozen else _free_tariff(org_currency)
    partner_cost = _partner_cost(events)
    if partner_cost is not None:
        tariff = _partner_tariff(partner_cost, tariff.currency, _from_store(frozen["ocpi"]) if frozen else None)
    usage = usage_of(view)
    if usage is None:
        return None
    from ..pricing.engine import zone_of

    zone = zone_of(place.time_zone if place else "UTC")
    profile = parse_profile(place.billing_profile if place else None)
    priced = price_usage(tariff, usage, zone)
    ctx, missing = _context(engine, row, view, profile, priced.currency, priced, zone, org)
    return Computed(settle(priced, facts_of(view, priced), profile, ctx), priced, frozen, missing)


@dataclass(frozen=True)
class Version:
    """A settlement version priced from the session's facts, not stored yet."""
    session_id: int
    reason: str
    now: datetime
    frozen: dict[str, Any] | None
    result: Settlement
    ocpi_totals: dict[str, Any]
    breakdown: dict[str, Any]
    amounts: dict[str, Any]


def price_session(engine: Engine, session_id: int, reason: str = "settled", now: datetime | None = None,
                  events: list | None = None, facts: Facts | None = None) -> Version:
    """A settlement version of the session as it ended, ready to store (reads only; the tariff is frozen first if
    it is not yet)."""
    now = now or _now()
    computed = compute_settlement(engine, session_id, now, events, facts)
    if computed is None:
        raise SettlementError(f"session {session_id} has no start and end yet: it cannot be priced")
    result, totals = computed.result, computed.priced.totals.to_ocpi()
    breakdown = stored_breakdown(result, totals)
    if computed.missing_hours:
        breakdown["cost_note"] = f"no energy price stored for {len(computed.missing_hours)} hour(s); counted as 0"
    amounts = {k: v for k, v in result.amounts.items() if k in session_settlements.c}
    return Version(session_id, reason, now, computed.frozen, result, totals, breakdown, amounts)


def store_version(conn: Connection, v: Version, only_once: bool = True) -> int | None:
    """In the caller's transaction: the version's settlement row, current from now on, and its PRICED ledger
    event, together. None (nothing written) when `only_once` and the session is settled already. The caller
    notifies the outbox after its commit."""
    write_lock(conn)
    version = (conn.execute(select(func.max(session_settlements.c.version))
                            .where(session_settlements.c.session_id == v.session_id)).scalar() or 0) + 1
    if only_once and version > 1:
        return None
    conn.execute(update(session_settlements).where(session_settlements.c.session_id == v.session_id)
                 .values(current=False))
    conn.execute(session_settlements.insert().values(**_settlement_row(v, version)))
    Ledger(conn.engine).append(v.session_id, [_priced(v, version)], conn)
    return version


def store_first_versions(conn: Connection, versions: list[Version]) -> list[Version]:
    """store_version (only once) for many sessions in the caller's transaction, in a few statements: the sessions
    locked, which are settled already read in one query, the others' first settlement rows inserted in one
    statement and their PRICED events appended together. Returns the versions stored; a session settled meanwhile
    keeps its settlement."""
    if not versions:
        return []
    ids = [v.session_id for v in versions]
    lock_sessions(conn, ids)
    settled = set(conn.execute(select(session_settlements.c.session_id)
                               .where(session_settlements.c.session_id.in_(ids))).scalars())
    fresh = [v for v in versions if v.session_id not in settled]
    if fresh:  # a first version: no earlier one to mark not current
        conn.execute(session_settlements.insert(), [_settlement_row(v, 1) for v in fresh])
        Ledger(conn.engine).append_many(conn, [(v.session_id, [_priced(v, 1)]) for v in fresh])
    return fresh


def _settlement_row(v: Version, version: int) -> dict[str, Any]:
    return dict(session_id=v.session_id, version=version, current=True, settled_at=v.now, reason=v.reason,
                tariff_id=v.frozen["tariff_id"] if v.frozen else None,
                tariff_version=v.frozen["version"] if v.frozen else None,
                split_billing=v.result.split_billing, breakdown=v.breakdown, bill_details=v.result.bill_details,
                **v.amounts)


def _priced(v: Version, version: int) -> NewEvent:
    return NewEvent(EventKind.PRICED, v.now, EventSource.SYSTEM, {
        "version": version, "reason": v.reason, "currency": v.result.currency,
        "payment_total": str(v.result.amounts["payment_total"]), "decision": v.result.waived,
        "ocpi_totals": {k: (str(x) if not isinstance(x, dict) else {p: str(y) for p, y in x.items()})
                        for k, x in v.ocpi_totals.items()},
    }, idempotency_key=f"priced:{v.session_id}:v{version}")


def settle_session(engine: Engine, session_id: int, reason: str = "settled", now: datetime | None = None,
                   only_once: bool = True, keep_if_same: bool = False) -> dict[str, Any]:
    """Price and settle a session; returns the settlement row. With only_once an existing settlement is kept;
    with keep_if_same a new version is written only if its amounts differ from the current one's."""
    existing = current_settlement(engine, session_id)
    if existing and only_once:
        return existing
    v = price_session(engine, session_id, reason, now)
    if keep_if_same and existing and _same_amounts(existing, v.amounts):
        return existing
    try:
        with engine.begin() as conn:
            stored = store_version(conn, v, only_once)
    except IntegrityError:  # settled concurrently by another worker: theirs stands
        return current_settlement(engine, session_id)
    if stored is not None:
        committed(engine)
    return current_settlement(engine, session_id)


def _same_amounts(stored: dict[str, Any], amounts: dict[str, Any]) -> bool:
    for key, value in amounts.items():
        old = stored.get(key)
        if isinstance(value, Decimal) and old is not None:
            if Decimal(str(old)) != value:
                return False
        elif old != value and str(old) != str(value):
            return False
    return True


def reprice(engine: Engine, session_id: int, reason: str, by: str, refreeze_tariff: bool = True,
            now: datetime | None = None) -> dict[str, Any]:
    """An operator re-prices a settled session (after a tariff or meter correction); the earlier version stays."""
    if not reason or not reason.strip():
        raise SettlementError("a re-pricing needs a reason")
    if current_settlement(engine, session_id) is None:
        raise SettlementError(f"session {session_id} is not settled yet: nothing to re-price")
    if refreeze_tariff:
        freeze_tariff(engine, session_id, refreeze=True, now=now)
    return settle_session(engine, session_id, f"re-priced by {by}: {reason}", now=now, only_once=False)


def _row_json(row) -> dict[str, Any]:
    out = {}
    for key, value in row._mapping.items():
        if isinstance(value, Decimal):
            value = format(value.normalize(), "f") if key == "exchange_rate" else str(value)
        elif isinstance(value, datetime):
            value = value.isoformat()
        out[key] = value
    return out


def settlements_of(engine: Engine, session_id: int) -> list[dict[str, Any]]:
    """Every settlement version of the session, oldest first."""
    return settlements_of_many(engine, [session_id])[session_id]


def settlements_of_many(engine: Engine, session_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """settlements_of for many sessions, read in one query."""
    found: dict[int, list[dict[str, Any]]] = {session_id: [] for session_id in session_ids}
    with engine.connect() as conn:
        for row in conn.execute(select(session_settlements).where(session_settlements.c.session_id.in_(session_ids))
                                .order_by(session_settlements.c.session_id, session_settlements.c.version)):
            found[row.session_id].append(_row_json(row))
    return found


def current_settlement(engine: Engine, session_id: int) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(session_settlements).where(session_settlements.c.session_id == session_id,
                                                             session_settlements.c.current.is_(True))).first()
    return _row_json(row) if row else None
