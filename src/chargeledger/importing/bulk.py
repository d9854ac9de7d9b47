"""Recording many sessions at once: the rows `Ledger.record` would write, computed in memory, one transaction a batch.

The projection is computed here with the same `project` and `summarise` the ledger uses, on the payloads as they
will be read back (JSON), so the stored summary equals what `Ledger.refresh` computes later.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable, Sequence

import orjson

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
from ..domain.typed_events import VERSION_KEY, SessionRecorded
from ..storage.tables import meter_samples, payments, session_events, sessions
from ..storage.upsert import insert_ignore
from .raw_writer import EVENT_COLUMNS, SESSION_COLUMNS, sqlite_time, write_rows
from .recorded import recorded_alone, recorded_summary

SQLITE_CACHE_KIB = 64 * 1024  # per connection, kept by the pooled connection after the import
# A batch writes ~4,000 pages to the WAL; at SQLite's default of 1,000 every commit ended in a checkpoint copying the
# batch's pages (hot index pages again each time) into the database. Commits stay one a batch, each durable in the WAL.
SQLITE_WAL_CHECKPOINT_PAGES = 16384
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
    """Which of `keys` the unique `column` holds. Plain SQL through the driver: SQLAlchemy compiled its expanding
    IN list anew for every chunk, which cost more than the lookup itself."""
    found: set[str] = set()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    for i in range(0, len(keys), _KEY_CHUNK):
        chunk = tuple(keys[i:i + _KEY_CHUNK])
        found.update(conn.exec_driver_sql(f"SELECT {column.name} FROM {column.table.name} WHERE {column.name} "
                                          f"IN ({', '.join([mark] * len(chunk))})", chunk).scalars())
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

    A session that is one finished recorded event (an imported row) is summarised by `recorded_summary` instead of
    `project`; the batch's first such session is projected too, and if the two ever differ the whole batch is
    projected. Without `reactions` the outbox worker passes these events (history: no settlement, no payment)."""
    result = BatchResult()
    stored = existing_keys(conn, sessions.c.external_key, [r.ref.external_key for r in records])
    known_events = existing_keys(conn, session_events.c.idempotency_key,
                                 [e.idempotency_key for r in records for e in r.events if e.idempotency_key])
    recorded_at = utcnow()
    fresh: list[tuple[SessionRecord, datetime | None]] = []  # with the stop when `recorded_summary` applies
    for record in records:
        key = record.ref.external_key
        if key in stored:
            result.skipped.append(key)
            continue
        stored.add(key)
        events = [e for e in record.events if not (e.idempotency_key and e.idempotency_key in known_events)]
        known_events.update(e.idempotency_key for e in events if e.idempotency_key)
        at_start = bool(events) and all(e.occurred_at == events[0].occurred_at for e in events[1:])
        stop = (recorded_alone([e.kind for e in events], events[0].payload, events[0].occurred_at,
                               bool(record.samples)) if at_start and not record.paid else None)
        fresh.append((replace(record, events=events) if len(events) != len(record.events) else record, stop))
    if not fresh:
        return result
    first_fast = next((i for i, (_, stop) in enumerate(fresh) if stop is not None), None)
    if first_fast is not None and not _agrees(fresh[first_fast][0], fresh[first_fast][1], now, recorded_at):
        fresh = [(record, None) for record, _ in fresh]
    ids = _new_session_ids(conn, len(fresh))
    postgres = conn.dialect.name == "postgresql"
    session_rows, event_rows, sample_rows, paid = [], [], [], []
    for session_id, (record, stop) in zip(ids, fresh):
        result.added[record.ref.external_key] = session_id
        if stop is not None:  # the import's own shape: straight to the driver's tuples
            session_row, events = _recorded_tuples(session_id, record, stop, recorded_at, reactions, postgres)
            session_rows.append(session_row)
            event_rows += events
            continue
        values, events, samples = _projected_rows(record, now, recorded_at, reactions)
        session_rows.append(_session_tuple(session_id, values, postgres))
        event_rows.extend(_event_tuple(session_id, row, postgres) for row in events)
        sample_rows.extend({"session_id": session_id, "time": s.time, "measurand": int(s.measurand),
                            "phase": int(s.phase), "location": int(s.location), "value": float(s.value)}
                           for s in samples)
        if record.paid:
            paid.append((session_id, record, len(events)))
    _write_raw(conn, "sessions", SESSION_COLUMNS, session_rows)
    if paid:  # after their sessions: a payment refers to one
        event_rows.extend(_event_tuple(e["session_id"], e, postgres) for e in _payments(conn, paid, recorded_at))
    _write_raw(conn, "session_events", EVENT_COLUMNS, event_rows)
    if sample_rows:
        conn.execute(insert_ignore(conn, meter_samples), sample_rows)
    return result


def _stored_event(event: NewEvent, payload: Any, seq: int, recorded_at: datetime, reactions: bool) -> dict:
    return {"seq": seq, "kind": event.kind.value, "occurred_at": event.occurred_at, "recorded_at": recorded_at,
            "source": event.source.value, "payload": payload, "idempotency_key": event.idempotency_key,
            "reactions": reactions}


def _projected_rows(record: SessionRecord, now: datetime | None, recorded_at: datetime, reactions: bool
                    ) -> tuple[dict, list[dict], list[MeterSample]]:
    """The general way: every event typed and stored, the session projected by the ledger's own `project`."""
    event_rows, domain_events = [], []
    for seq, event in enumerate(record.events, start=1):
        payload = stored_payload(event)
        event_rows.append(_stored_event(event, payload, seq, recorded_at, reactions))
        domain_events.append(SessionEvent(event.kind, event.occurred_at, event.source, payload, recorded_at, seq))
    samples = _unique_samples(record.samples)
    view = project(domain_events, samples, now=now)
    created_at = min((e.occurred_at for e in record.events), default=now or recorded_at)
    return session_values(record.ref, view, created_at), event_rows, samples


def _recorded_payload(event: NewEvent) -> dict:
    # SessionRecorded names no field of its own: its stored form is the version and the payload's keys as they are
    payload = event.payload or {}
    return payload if VERSION_KEY in payload else {VERSION_KEY: SessionRecorded.version, **payload}


_KIND_RECORDED, _KIND_ROAMING = EventKind.SESSION_RECORDED.value, EventKind.ROAMING_ATTRIBUTED.value


def _recorded_tuples(session_id: int, record: SessionRecord, stopped_at: datetime, recorded_at: datetime,
                     reactions: bool, postgres: bool) -> tuple[tuple, list[tuple]]:
    """An imported session's sessions and session_events tuples at import speed: the summary from
    `recorded_summary`, no projection, no row dicts (each cost more than the summary). `_agrees` holds them to the
    general way's `_session_tuple`/`_event_tuple` of the projected session."""
    event = record.events[0]
    payload = _recorded_payload(event)
    roaming = stored_payload(record.events[1]) if len(record.events) > 1 else None
    summary = recorded_summary(payload, event.occurred_at, stopped_at, roaming)
    identity = summary["identity"]
    ref = record.ref
    t = _same if postgres else _sqlite_text
    recorded = t(recorded_at)
    if postgres:
        start, stop = event.occurred_at, stopped_at
    else:
        start, stop = _sqlite_from_zulu(summary["started_at"]), _sqlite_from_zulu(summary["stopped_at"])
        start, stop = start or t(event.occurred_at), stop or t(stopped_at)
    flag = reactions if postgres else int(reactions)
    session_row = (session_id, ref.external_key, ref.organisation_id, ref.site_id, ref.station_id, ref.evse_id,
                   ref.connector_id, summary["status"], start, stop, summary["energy_wh"], None,
                   identity.get("id_token") or identity.get("contract_id") or identity.get("shared_id"),
                   roaming["network"] if roaming else None, False if postgres else 0, identity.get("driver_id"),
                   _json(summary), start, start)
    source = event.source.value
    events = [(session_id, 1, _KIND_RECORDED, start, recorded, source, _json(payload), event.idempotency_key, flag)]
    if roaming is not None:
        second = record.events[1]
        events.append((session_id, 2, _KIND_ROAMING, t(second.occurred_at), recorded, second.source.value,
                       _json(roaming), second.idempotency_key, flag))
    return session_row, events


def _sqlite_from_zulu(text: str) -> str | None:
    """SQLite's text of a UTC time from the summary's ISO text ("2023-01-01T07:00:00Z", or with ".250000"), or
    None for any other form: formatting each time once more per row cost ~4% of an import."""
    if len(text) == 20 and text[19] == "Z":
        return f"{text[:10]} {text[11:19]}.000000"
    if len(text) == 27 and text[26] == "Z" and text[19] == ".":
        return f"{text[:10]} {text[11:26]}"
    return None


def _agrees(record: SessionRecord, stopped_at: datetime, now: datetime | None, recorded_at: datetime) -> bool:
    """Whether the fast rows of this session are the rows the general way writes (JSON compared as read back), on
    both databases' forms."""
    values, events, _ = _projected_rows(record, now, recorded_at, False)
    for postgres in (False, True):
        fast_session, fast_events = _recorded_tuples(0, record, stopped_at, recorded_at, False, postgres)
        slow_session = _session_tuple(0, values, postgres)
        slow_events = [_event_tuple(0, e, postgres) for e in events]
        if _as_read(fast_session, 16) != _as_read(slow_session, 16) or \
                [_as_read(e, 6) for e in fast_events] != [_as_read(e, 6) for e in slow_events]:
            return False
    return True


def _as_read(row: tuple, json_at: int) -> tuple:
    return (*row[:json_at], orjson.loads(row[json_at]), *row[json_at + 1:])


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # as json_payload writes money: never a float
    raise TypeError(f"{type(value).__name__} is not JSON")


def _json(value: Any) -> str:
    return orjson.dumps(value, default=_json_default).decode()


def _new_session_ids(conn: Connection, count: int) -> list[int]:
    """Ids for `count` new sessions. PostgreSQL hands them out from the sequence; SQLite serialises writers, so
    the ids above the highest are free (a concurrent writer that took one makes the batch fail with IntegrityError,
    and `record_many` falls back to the ledger)."""
    if conn.dialect.name == "postgresql":
        return list(conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('sessions', 'id')) FROM generate_series(1, %(n)s)",
            {"n": count}).scalars())
    first = (conn.execute(select(func.max(sessions.c.id))).scalar() or 0) + 1
    return list(range(first, first + count))


# A batch's times repeat (a session's start is also its creation, last event and event time; every event of a
# batch has the same recorded_at): each is turned into SQLite's text once.
_sqlite_text = functools.lru_cache(maxsize=4 * 4096)(sqlite_time)


def _same(value: Any) -> Any:
    return value  # PostgreSQL's driver takes datetimes as they are


def _session_tuple(session_id: int, r: dict, postgres: bool) -> tuple:
    # the values SQLAlchemy's column types would send: SQLite keeps naive UTC text and 0/1
    t = _same if postgres else _sqlite_text
    return (session_id, r["external_key"], r["organisation_id"], r["site_id"], r["station_id"], r["evse_id"],
            r["connector_id"], r["status"], t(r["started_at"]), t(r["stopped_at"]), r["energy_wh"],
            r["transaction_id"], r["id_token"], r["network"], r["simulated"] if postgres else int(r["simulated"]),
            r["driver_id"], _json(r["summary"]), t(r["last_event_at"]), t(r["created_at"]))


def _event_tuple(session_id: int, e: dict, postgres: bool) -> tuple:
    t = _same if postgres else _sqlite_text
    return (session_id, e["seq"], e["kind"], t(e["occurred_at"]), t(e["recorded_at"]), e["source"],
            _json(e["payload"]), e["idempotency_key"], e["reactions"] if postgres else int(e["reactions"]))


def _write_raw(conn: Connection, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Rows through the driver (COPY / executemany), in the caller's transaction: SQLAlchemy's per-row parameter
    processing costs more than everything else an imported row needs."""
    if not rows:
        return
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        write_rows(cursor, conn.dialect.name == "postgresql", table, columns, rows)
    finally:
        cursor.close()


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
            if conn.dialect.name == "sqlite":
                # a batch touches a dozen indexes of sessions; SQLite's default 2 MB page cache rereads them
                conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
                conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {SQLITE_WAL_CHECKPOINT_PAGES}")
            result = write_batch(conn, records, now, reactions=notify)
    except (IntegrityError, engine.dialect.loaded_dbapi.IntegrityError):  # COPY/executemany raise the driver's own
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
