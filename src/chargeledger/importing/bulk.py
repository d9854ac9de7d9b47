"""Recording many sessions at once: the rows `Ledger.record` would write, computed in memory, one transaction a batch.

The projection is computed here with the same `project` and `summarise` the ledger uses, on the payloads as they
will be read back (JSON), so the stored summary equals what `Ledger.refresh` computes later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Iterable, Sequence

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..domain.events import SessionEvent
from ..domain.meter import MeterSample
from ..domain.projection import SessionView, project
from ..ledger.store import Ledger, NewEvent, SessionRef, stored_payload, utcnow
from ..ledger.outbox import committed
from ..ledger.summary import summarise
from ..domain.events import EventKind, EventSource
from ..storage.tables import meter_samples, payments, session_events, sessions
from ..storage.upsert import insert_ignore

_KEY_CHUNK = 500  # keeps IN lists under every driver's bound-parameter limit


@dataclass(frozen=True)
class SessionRecord:
    """One whole session to store: what `Ledger.record(ref, events, samples)` takes."""

    ref: SessionRef
    events: Sequence[NewEvent]
    samples: Sequence[MeterSample] = ()
    paid: tuple[Decimal, str, str] | None = None  # amount, currency, where it was paid: a captured payment


@dataclass
class BatchResult:
    added: dict[str, int] = field(default_factory=dict)  # external_key -> new session id
    skipped: list[str] = field(default_factory=list)     # external keys already stored: left untouched


def session_values(ref: SessionRef, view: SessionView, created_at: datetime) -> dict:
    """The sessions row as `Ledger.open_session` + `Ledger.refresh` leave it."""
    roaming = view.roaming
    return {
        "external_key": ref.external_key, "organisation_id": ref.organisation_id, "site_id": ref.site_id,
        "station_id": ref.station_id, "evse_id": ref.evse_id, "connector_id": ref.connector_id,
        "status": view.status.value, "started_at": view.started_at or view.created_at,
        "stopped_at": view.stopped_at, "energy_wh": round(view.energy.energy_wh, 3),
        "transaction_id": view.transaction_id,
        "id_token": view.identity.id_token or view.identity.contract_id or view.identity.shared_id,
        "network": roaming.network if roaming else None, "simulated": view.simulated,
        "driver_id": view.identity.driver_id, "summary": summarise(view), "last_event_at": view.last_event_at,
        "created_at": created_at,
    }


def existing_keys(conn: Connection, column, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), _KEY_CHUNK):
        found.update(conn.execute(select(column).where(column.in_(keys[i:i + _KEY_CHUNK]))).scalars())
    return found


def _unique_samples(samples: Iterable[MeterSample]) -> list[MeterSample]:
    # INSERT … ON CONFLICT DO NOTHING keeps the first of a natural key; reading back orders by time.
    seen: dict[tuple, MeterSample] = {}
    for s in samples:
        seen.setdefault((s.time, int(s.measurand), int(s.phase), int(s.location)), s)
    return sorted(seen.values(), key=lambda s: s.time)


def write_batch(conn: Connection, records: Sequence[SessionRecord], now: datetime | None = None,
                reactions: bool = True) -> BatchResult:
    """Store new sessions in the caller's transaction; sessions whose external key exists are skipped.

    Without `reactions` the outbox worker passes these events (history: no settlement, no payment)."""
    result = BatchResult()
    stored = existing_keys(conn, sessions.c.external_key, [r.ref.external_key for r in records])
    known_events = existing_keys(conn, session_events.c.idempotency_key,
                             [e.idempotency_key for r in records for e in r.events if e.idempotency_key])
    recorded_at = utcnow()
    pending: list[tuple[SessionRecord, list[dict], list[MeterSample]]] = []
    session_rows: list[dict] = []
    for record in records:
        key = record.ref.external_key
        if key in stored:
            result.skipped.append(key)
            continue
        stored.add(key)
        event_rows, domain_events = [], []
        for event in record.events:
            if event.idempotency_key:
                if event.idempotency_key in known_events:
                    continue
                known_events.add(event.idempotency_key)
            payload = stored_payload(event)
            seq = len(event_rows) + 1
            event_rows.append({"seq": seq, "kind": event.kind.value, "occurred_at": event.occurred_at,
                               "recorded_at": recorded_at, "source": event.source.value, "payload": payload,
                               "idempotency_key": event.idempotency_key, "reactions": reactions})
            domain_events.append(SessionEvent(event.kind, event.occurred_at, event.source, payload, recorded_at, seq))
        samples = _unique_samples(record.samples)
        view = project(domain_events, samples, now=now)
        created_at = min((e.occurred_at for e in record.events), default=now or recorded_at)
        session_rows.append(session_values(record.ref, view, created_at))
        pending.append((record, event_rows, samples))
    if not session_rows:
        return result
    ids = _insert_sessions(conn, session_rows)
    all_events, all_samples = [], []
    for session_id, (record, event_rows, samples) in zip(ids, pending):
        result.added[record.ref.external_key] = session_id
        all_events.extend({**row, "session_id": session_id} for row in event_rows)
        all_samples.extend({"session_id": session_id, "time": s.time, "measurand": int(s.measurand),
                            "phase": int(s.phase), "location": int(s.location), "value": float(s.value)}
                           for s in samples)
    paid = [(session_id, record, len(rows)) for session_id, (record, rows, _) in zip(ids, pending) if record.paid]
    if paid:
        all_events.extend(_payments(conn, paid, recorded_at))
    if all_events:
        conn.execute(session_events.insert(), all_events)
    if all_samples:
        conn.execute(insert_ignore(conn, meter_samples), all_samples)
    return result


def _payments(conn: Connection, paid: list[tuple[int, SessionRecord, int]], now: datetime) -> list[dict]:
    """A payment, captured, for each session the history says was paid; its ledger entry as `charge_session`
    writes one, so reports and the session page show it like any other payment."""
    rows = [{"session_id": session_id, "method": "imported", "gateway": gateway[:40], "currency": currency,
             "amount_due": amount, "amount_captured": amount, "failed_amount": 0, "unsettled_amount": 0,
             "status": "captured", "created_at": now}
            for session_id, (amount, currency, gateway) in ((sid, r.paid) for sid, r, _ in paid)]
    payment_ids = _insert_returning_ids(conn, payments, rows)
    events = []
    for payment_id, (session_id, record, written) in zip(payment_ids, paid):
        events.append({"session_id": session_id, "seq": written + 1, "kind": EventKind.PAYMENT_RECORDED.value,
                       "occurred_at": max(e.occurred_at for e in record.events), "recorded_at": now,
                       "source": EventSource.IMPORT.value,
                       "payload": {"payment_id": payment_id, "method": "imported", "status": "captured",
                                   "amount_captured": str(record.paid[0]), "failure_reason": None},
                       "idempotency_key": f"{record.ref.external_key}:paid",
                       "reactions": False})  # paid in its own time: nothing to settle or capture now
    return events


def _insert_sessions(conn: Connection, rows: list[dict]) -> list[int]:
    return _insert_returning_ids(conn, sessions, rows)


def _insert_returning_ids(conn: Connection, table, rows: list[dict]) -> list[int]:
    """The new sessions' ids in row order. SQLite cannot return ids of a multi-row insert in order, so SQLAlchemy
    would insert there one row per statement; ids are given instead, above the highest (a concurrent writer that
    took one makes the batch fail with IntegrityError, and `record_many` falls back to the ledger)."""
    if conn.dialect.name != "sqlite":
        return list(conn.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True),
                                 rows).scalars())
    first = (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
    ids = list(range(first, first + len(rows)))
    conn.execute(table.insert(), [{**row, "id": i} for row, i in zip(rows, ids)])
    return ids


def record_many(engine: Engine, records: Sequence[SessionRecord], now: datetime | None = None,
                notify: bool = True) -> BatchResult:
    """One transaction for the batch; if a concurrent writer got there first, fall back to `Ledger.record`."""
    try:
        with engine.begin() as conn:
            result = write_batch(conn, records, now, reactions=notify)
    except IntegrityError:
        result = BatchResult()
        ledger = Ledger(engine)
        with engine.connect() as conn:
            stored = existing_keys(conn, sessions.c.external_key, [r.ref.external_key for r in records])
        for record in records:
            if record.ref.external_key in stored:
                result.skipped.append(record.ref.external_key)
                continue
            session_id, _ = ledger.record(record.ref, list(record.events), list(record.samples), now,
                                          reactions=notify)
            result.added[record.ref.external_key] = session_id
        return result
    if notify and result.added:
        committed(engine)
    return result
