"""Appending to the ledger and keeping each session's projection current.

Every write is idempotent: a session is found by its external key, an event by its idempotency key, a meter
sample by (session, time, measurand, phase, location). Retried or resent messages therefore add nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

import json

from sqlalchemy import BigInteger, Engine, and_, bindparam, func, null, or_, select, union_all, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..domain.events import EventKind, EventSource, SessionEvent
from ..domain.meter import MeterLocation, MeterSample, Measurand, Phase
from ..domain.projection import SessionView, project
from ..domain.typed_events import LedgerEvent, stored_form
from ..storage.locks import write_lock
from ..storage.tables import meter_samples, session_events, sessions
from ..storage.upsert import insert_ignore, insert_or_correct, last_per_key
from . import outbox
from .outbox import committed
from .projections import Projections
from .summary import summarise


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class NewEvent:
    kind: EventKind
    occurred_at: datetime
    source: EventSource
    payload: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None

    @classmethod
    def of(cls, event: LedgerEvent, occurred_at: datetime, source: EventSource,
           idempotency_key: str | None = None) -> "NewEvent":
        """A typed event to append: its kind, and its fields with its version as the payload."""
        return cls(event.kind, occurred_at, source, event.to_payload(), idempotency_key)


@dataclass(frozen=True)
class SessionRef:
    external_key: str
    organisation_id: str
    site_id: str | None = None
    station_id: str | None = None
    evse_id: str | None = None
    connector_id: int | None = None


class Ledger:
    def __init__(self, engine: Engine, projections: Projections | None = None):
        self.engine = engine
        # a long-lived writer's folds (the OCPP group commit's): refreshes apply only the new events
        self.projections = projections

    # -- write side -------------------------------------------------------------------------------------------
    def open_session(self, ref: SessionRef, created_at: datetime, connection: Connection | None = None
                     ) -> tuple[int, bool]:
        """Find or create the session for `ref.external_key`; returns (id, created)."""
        if connection is None:
            with self.engine.begin() as conn:
                return self.open_session(ref, created_at, conn)
        found = connection.execute(
            select(sessions.c.id).where(sessions.c.external_key == ref.external_key)).scalar()
        if found is not None:
            return found, False
        result = connection.execute(insert_ignore(connection, sessions).values(
            external_key=ref.external_key, organisation_id=ref.organisation_id, site_id=ref.site_id,
            station_id=ref.station_id, evse_id=ref.evse_id, connector_id=ref.connector_id,
            status="Pending", simulated=False, created_at=created_at, started_at=created_at,
        ))
        if result.rowcount == 0:  # another writer created it between our select and insert
            return connection.execute(
                select(sessions.c.id).where(sessions.c.external_key == ref.external_key)).scalar_one(), False
        return result.inserted_primary_key[0], True

    def append(self, session_id: int, events: Iterable[NewEvent], connection: Connection | None = None,
               reactions: bool = True) -> int:
        """Append events; those whose idempotency key is already stored are skipped. Returns how many were new.

        Without a connection it commits and then notifies the outbox worker; with one, the caller owns the
        transaction (and `record` notifies after its commit). Without `reactions` the worker passes the events.
        """
        if connection is None:
            events = list(events)
            with self.engine.begin() as conn:
                added = self.append(session_id, events, conn, reactions)
            if added and reactions:
                committed(self.engine)
            return added
        return self.append_many(connection, [(session_id, events)], reactions)

    def append_many(self, connection: Connection, appends: list[tuple[int, list[NewEvent]]],
                    reactions: bool = True) -> int:
        """`append` for many sessions in the caller's transaction (the outbox worker's batches; `append` is this for
        one): the sessions locked in id order (one appender per session at a time, so each seq is the last + 1),
        their last seq and txid, and the idempotency keys already stored each read in one query, and the new events
        inserted in one statement, so a batch costs four statements, not four per session. The caller notifies the
        outbox after its commit."""
        appends = [(session_id, list(events)) for session_id, events in appends]
        ids = sorted({session_id for session_id, events in appends if events})
        if not ids:
            return 0
        e = session_events.c
        lock_sessions(connection, ids)
        keys = [event.idempotency_key for _sid, events in appends for event in events if event.idempotency_key]
        # the last seq and txid of each session and the keys already stored, in one round trip
        last_seq = select(e.session_id, func.max(e.seq).label("seq"), func.max(e.txid).label("txid"),
                          null().label("key")).where(e.session_id.in_(ids)).group_by(e.session_id)
        query = union_all(last_seq, select(null(), null(), null(), e.idempotency_key)
                          .where(e.idempotency_key.in_(keys))) if keys else last_seq
        last, known = {}, set()
        for row in connection.execute(query):
            if row.key is not None:
                known.add(row.key)
            else:
                last[row.session_id] = (row.seq or 0, row.txid)
        before = {session_id: last.get(session_id, (0, None))[0] for session_id in ids}
        now = utcnow()
        rows = []
        for session_id, events in appends:
            seq, previous = last.get(session_id, (0, None))
            for event in events:
                if event.idempotency_key:
                    if event.idempotency_key in known:
                        continue
                    known.add(event.idempotency_key)
                seq += 1
                rows.append(dict(session_id=session_id, seq=seq, kind=event.kind.value, occurred_at=event.occurred_at,
                                 recorded_at=now, source=event.source.value, payload=stored_payload(event),
                                 idempotency_key=event.idempotency_key, reactions=reactions, previous_txid=previous))
            last[session_id] = (seq, previous)
        if not rows:
            return 0
        insert = session_events.insert()
        if connection.dialect.name == "postgresql":  # each session's events in order for every reader (outbox.py)
            insert = insert.values(txid=outbox.txid_after(connection, bindparam("previous_txid", type_=BigInteger)))
        else:
            for row in rows:
                del row["previous_txid"]
        connection.execute(insert, rows)
        if self.projections is not None:
            stored: dict[int, list[SessionEvent]] = {}
            for row in rows:
                stored.setdefault(row["session_id"], []).append(_event_stored(row))
            for session_id, events in stored.items():
                self.projections.appended(connection, session_id, before[session_id], events)
        return len(rows)

    def add_samples(self, session_id: int, samples: Iterable[MeterSample], connection: Connection | None = None
                    ) -> None:
        # A reading resent unchanged is a no-op; one resent with another value is the meter's correction and
        # replaces it (the frame as received stays in the message log), so a re-pricing uses the corrected curve.
        rows = last_per_key(sample_rows(session_id, samples), _sample_key)
        if not rows:
            return
        if connection is None:
            with self.engine.begin() as conn:
                conn.execute(insert_or_correct(conn, meter_samples, "value"), rows)
            return
        connection.execute(insert_or_correct(connection, meter_samples, "value"), rows)

    # -- read side of one session -----------------------------------------------------------------------------
    def events(self, session_id: int, connection: Connection | None = None) -> list[SessionEvent]:
        query = select(session_events).where(session_events.c.session_id == session_id).order_by(
            session_events.c.seq)
        return [_event_of(r) for r in self._rows(query, connection)]

    def events_many(self, session_ids: list[int], connection: Connection) -> dict[int, list[SessionEvent]]:
        """`events` of many sessions in one query."""
        out: dict[int, list[SessionEvent]] = {session_id: [] for session_id in session_ids}
        for r in connection.execute(select(session_events).where(session_events.c.session_id.in_(session_ids))
                                    .order_by(session_events.c.session_id, session_events.c.seq)):
            out[r.session_id].append(_event_of(r))
        return out

    def samples(self, session_id: int, connection: Connection | None = None) -> list[MeterSample]:
        query = select(meter_samples).where(meter_samples.c.session_id == session_id).order_by(meter_samples.c.time)
        return [_sample_of(r) for r in self._rows(query, connection)]

    def samples_many(self, session_ids: list[int], connection: Connection) -> dict[int, list[MeterSample]]:
        """`samples` of many sessions in one query."""
        out: dict[int, list[MeterSample]] = {session_id: [] for session_id in session_ids}
        for r in connection.execute(select(meter_samples).where(meter_samples.c.session_id.in_(session_ids))
                                    .order_by(meter_samples.c.session_id, meter_samples.c.time)):
            out[r.session_id].append(_sample_of(r))
        return out

    def project(self, session_id: int, now: datetime | None = None, connection: Connection | None = None
                ) -> SessionView:
        return project(self.events(session_id, connection), self.samples(session_id, connection), now=now)

    def refresh(self, session_id: int, now: datetime | None = None, connection: Connection | None = None
                ) -> SessionView:
        """Recompute the projection and store its summary on the session row (a cache, never the truth)."""
        if connection is None:
            with self.engine.begin() as conn:
                return self.refresh(session_id, now, conn)
        if self.projections is not None:
            return self.refresh_many(connection, [session_id], now)[session_id]
        view = self.project(session_id, now, connection)
        connection.execute(update(sessions).where(sessions.c.id == session_id).values(**_row_of(view)))
        return view

    def refresh_many(self, connection: Connection, session_ids, now: datetime | None = None
                     ) -> dict[int, SessionView]:
        """`refresh` of many sessions with the kept folds: the events after each one's kept seq (none if it is exact
        in this transaction) in one query, their samples in one, the rows updated in one executemany."""
        ids = sorted(set(session_ids))
        if not ids:
            return {}
        kept = self.projections
        behind = {}
        for session_id in ids:
            if kept.exact(connection, session_id) is None:
                found = kept.kept(session_id)
                behind[session_id] = found.seq if found is not None else 0
        new: dict[int, list[SessionEvent]] = {session_id: [] for session_id in behind}
        if behind:
            e = session_events.c
            for r in connection.execute(select(session_events).where(or_(*(
                    and_(e.session_id == session_id, e.seq > seq) for session_id, seq in behind.items())))
                    .order_by(e.session_id, e.seq)):
                new[r.session_id].append(_event_of(r))
        folds = {session_id: (kept.exact(connection, session_id) or kept.caught_up(session_id, new[session_id])).fold
                 for session_id in ids}
        samples = self.samples_many(ids, connection)
        views = {session_id: folds[session_id].view(samples[session_id], now) for session_id in ids}
        connection.execute(update(sessions).where(sessions.c.id == bindparam("session_id")),
                           [{"session_id": session_id, **_row_of(view)} for session_id, view in views.items()])
        return views

    def record(self, ref: SessionRef, events: list[NewEvent], samples: list[MeterSample] = (),
               now: datetime | None = None, reactions: bool = True) -> tuple[int, SessionView]:
        """Open (or find) a session, append events and samples, refresh its projection: one transaction."""
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    created_at = min((e.occurred_at for e in events), default=now or utcnow())
                    session_id, _ = self.open_session(ref, created_at, conn)
                    added = self.append(session_id, events, conn, reactions)
                    self.add_samples(session_id, samples, conn)
                    view = self.refresh(session_id, now, conn)
                if added and reactions:
                    committed(self.engine)
                return session_id, view
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _rows(self, query, connection: Connection | None):
        if connection is not None:
            return connection.execute(query).all()
        with self.engine.connect() as conn:
            return conn.execute(query).all()


def _row_of(view: SessionView) -> dict:
    """The session row's cached columns of a projection."""
    roaming = view.roaming
    return dict(
        status=view.status.value, started_at=view.started_at or view.created_at, stopped_at=view.stopped_at,
        energy_wh=round(view.energy.energy_wh, 3), transaction_id=view.transaction_id,
        id_token=view.identity.id_token or view.identity.contract_id or view.identity.shared_id,
        network=roaming.network if roaming else None, simulated=view.simulated,
        driver_id=view.identity.driver_id,
        summary=summarise(view), last_event_at=view.last_event_at,
    )


_LOCKED = "ledger_locked_sessions"  # Connection.info: (transaction, the sessions it has locked)


def lock_sessions(conn: Connection, session_ids) -> None:
    """Many sessions locked as `locked_row` locks one (PostgreSQL: their rows, in id order as every batch takes
    them, so two batches cannot deadlock; SQLite: the database's write lock), until the transaction ends. A session
    this transaction already locked is not asked for again (the group commit writes one session several times)."""
    write_lock(conn)
    if conn.dialect.name == "sqlite":
        return
    transaction = conn.get_transaction()
    held_by, held = conn.info.get(_LOCKED, (None, set()))
    if held_by is not transaction:
        held = set()
        conn.info[_LOCKED] = (transaction, held)
    wanted = sorted(set(session_ids) - held)
    if wanted:
        conn.execute(select(sessions.c.id).where(sessions.c.id.in_(wanted))
                     .order_by(sessions.c.id).with_for_update()).all()
        held.update(wanted)


def _event_of(r) -> SessionEvent:
    return SessionEvent(kind=EventKind(r.kind), occurred_at=r.occurred_at, source=EventSource(r.source),
                        payload=r.payload or {}, recorded_at=r.recorded_at, seq=r.seq)


def _event_stored(row: dict) -> SessionEvent:
    """The event as a read of its stored row returns it (times in UTC, the payload through JSON)."""
    return SessionEvent(kind=EventKind(row["kind"]), occurred_at=row["occurred_at"].astimezone(timezone.utc),
                        source=EventSource(row["source"]), payload=json.loads(json.dumps(row["payload"])) or {},
                        recorded_at=row["recorded_at"], seq=row["seq"])


def _sample_of(r) -> MeterSample:
    return MeterSample(r.time, Measurand(r.measurand), r.value, Phase(r.phase), MeterLocation(r.location))


def _sample_key(row: dict) -> tuple:
    return row["time"], row["measurand"], row["phase"], row["location"]


def sample_rows(session_id: int, samples: Iterable[MeterSample]) -> list[dict]:
    """meter_samples rows, for callers that insert many sessions' samples at once (the OCPP group commit)."""
    return [{"session_id": session_id, "time": s.time, "measurand": int(s.measurand), "phase": int(s.phase),
             "location": int(s.location), "value": float(s.value)} for s in samples]


def stored_payload(event: NewEvent) -> Any:
    """Every event is stored as its typed class's current version (domain/typed_events.py), as JSON."""
    return json_payload(stored_form(event.kind, event.payload))


def json_payload(value: Any) -> Any:
    """Payloads are JSON: datetimes become ISO strings, Decimals strings (never floats, for money)."""
    from decimal import Decimal

    if isinstance(value, dict):
        return {str(k): json_payload(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_payload(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
