"""Ledger writes for the gateway: synchronous, run by the group-commit writer (many chargers' messages share one
transaction; each message's writes still all commit, or none do).

A connector's current session is the newest one on it that the vehicle has not left (no UNPLUGGED/SETTLED yet).
OCPP 1.6 transaction IDs are issued by us: the session ID, so a retried StartTransaction finds the same one.
"""

from __future__ import annotations

import logging
import time as clock
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.engine import Connection

from ..domain.events import EventKind, EventSource
from ..domain.meter import MeterSample
from ..domain.readiness import ready_to_settle
from ..domain.projection import ACTIVE_STATUSES
from ..domain.typed_events import ForceClosed, LateFacts, Settled, typed_from_fields
from ..ledger.projections import Projections
from ..ledger.store import Ledger, NewEvent, SessionRef, lock_sessions
from ..storage.tables import session_events, sessions
from .group_commit import batch_of
from .raw_rows import sample_values
from .stations import StationInfo

log = logging.getLogger(__name__)
_LEFT = {EventKind.UNPLUGGED.value, EventKind.SETTLED.value, EventKind.FAILED.value, EventKind.FORCE_CLOSED.value}


@dataclass(frozen=True)
class Current:
    session_id: int
    started: bool
    stopped: bool


def ocpp_event(kind: EventKind, at: datetime, key: str, **payload) -> NewEvent:
    """A charger's fact as its typed event (domain/typed_events.py); keys its class does not name go to `extra`."""
    return NewEvent.of(typed_from_fields(kind, payload), at, EventSource.OCPP, key)


class Recorder:
    def __init__(self, engine: Engine, meter_refresh_every: float = 10.0):
        self.engine = engine
        self.ledger = Ledger(engine, Projections())  # the writer thread's folds: a message applies its events only
        self.meter_refresh_every = meter_refresh_every
        self._refreshed: dict[int, float] = {}
        self._owned: set[tuple[str, int]] = set()  # (station, session) pairs seen stored: a session never moves

    def forget(self) -> None:
        """A batch was rolled back: what it taught about stored rows may not be true."""
        self._owned.clear()
        self._refreshed.clear()
        self.ledger.projections.forget()

    def refresh(self, conn: Connection, session_ids: list[int]) -> None:
        """The sessions' projections stored on their rows (the group commit's, once per batch)."""
        self.ledger.refresh_many(conn, session_ids)

    # -- lookups -------------------------------------------------------------------------------------------------
    def current(self, conn: Connection, station_id: str, connector: int) -> Current | None:
        latest = conn.execute(select(sessions.c.id).where(
            sessions.c.station_id == station_id, sessions.c.connector_id == connector,
            sessions.c.external_key.like("ocpp:%")).order_by(sessions.c.id.desc()).limit(1)).scalar()
        if latest is None:
            return None
        kinds = self.kinds(conn, latest)
        if kinds & _LEFT:
            return None
        return Current(latest, EventKind.TRANSACTION_STARTED.value in kinds,
                       EventKind.TRANSACTION_STOPPED.value in kinds)

    def session_of_event(self, conn: Connection, key: str) -> int | None:
        return conn.execute(select(session_events.c.session_id)
                            .where(session_events.c.idempotency_key == key)).scalar()

    def own_session(self, conn: Connection, station_id: str, session_id: int) -> bool:
        if (station_id, session_id) in self._owned:
            return True
        found = conn.execute(select(sessions.c.id).where(sessions.c.id == session_id,
                                                         sessions.c.station_id == station_id)).first() is not None
        if found:
            self._owned.add((station_id, session_id))
        return found

    def session_by_transaction(self, station_id: str, transaction_id: str) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(select(sessions.c.id).where(
                sessions.c.station_id == station_id, sessions.c.transaction_id == transaction_id)
                .order_by(sessions.c.id.desc()).limit(1)).scalar()

    # -- writes --------------------------------------------------------------------------------------------------
    def ref(self, station: StationInfo, key: str, connector: int | None) -> SessionRef:
        return SessionRef(key, station.organisation_id, station.site_id, station.id, station.evse_id(connector),
                          connector)

    def write(self, conn: Connection, session_id: int, events: list[NewEvent], found: list[MeterSample],
              refresh: bool = True) -> int:
        now = clock.monotonic()
        stale = now - self._refreshed.get(session_id, 0.0) >= self.meter_refresh_every
        batch = batch_of(conn)
        if batch is not None and not events and not refresh:
            # Samples alone change no state: stored with the batch, the projection caught up at most every N s.
            batch.samples.extend(sample_values(session_id, found))
            if stale:
                batch.refresh.add(session_id)
                self._refreshed[session_id] = now
            return 0
        added = self.ledger.append(session_id, events, conn)
        if batch is not None:  # with the batch's other readings, in message order (a correction wins), one statement
            batch.samples.extend(sample_values(session_id, found))
        else:
            self.ledger.add_samples(session_id, found, conn)
        if refresh or added or stale:
            if batch is not None:
                batch.refresh_now.add(session_id)  # once for all the batch's writes to it, before the commit
            else:
                self.ledger.refresh(session_id, connection=conn)
            self._refreshed[session_id] = now
        return added

    def open(self, conn: Connection, station: StationInfo, key: str, connector: int | None, at: datetime) -> int:
        session_id, _ = self.ledger.open_session(self.ref(station, key, connector), at, conn)
        return session_id

    def fill_location(self, conn: Connection, station: StationInfo, session_id: int, connector: int | None) -> None:
        """2.0.1 names the EVSE only in a transaction's first event, which may arrive after later ones (offline)."""
        if connector is None:
            return
        conn.execute(update(sessions).where(sessions.c.id == session_id, sessions.c.connector_id.is_(None))
                     .values(connector_id=connector, evse_id=station.evse_id(connector)))

    def kinds(self, conn: Connection, session_id: int) -> set[str]:
        kept = self.ledger.projections.exact(conn, session_id)
        if kept is not None:  # this transaction appended to it under its lock: the kept events are all there are
            return {event.kind.value for event in kept.fold.events}
        return set(conn.execute(select(session_events.c.kind).where(
            session_events.c.session_id == session_id).distinct()).scalars())

    def leave(self, conn: Connection, station: StationInfo, connector: int, at: datetime, key: str,
              current: Current | None | bool = False) -> int | None:
        """The vehicle left the connector: the current session is released, and settled if its transaction ended.
        `current`: the connector's current session if the caller just looked it up in this transaction."""
        if current is False:
            current = self.current(conn, station.id, connector)
        if current is None:
            return None
        # UNPLUGGED and, if the transaction has ended, SETTLED in one append (one read of the session's last seq and
        # keys, one insert), not one each; the session locked first, as the append would lock it, so a stop that
        # another writer stored meanwhile is seen here
        lock_sessions(conn, [current.session_id])
        events = [ocpp_event(EventKind.UNPLUGGED, at, f"{key}:unplugged")]
        if ready_to_settle(self.kinds(conn, current.session_id) | {EventKind.UNPLUGGED.value}):
            events.append(self._settled(at, key))
        self.write(conn, current.session_id, events, [])
        return current.session_id

    def settle_if_ready(self, conn: Connection, session_id: int, at: datetime, key: str) -> bool:
        """Mark the session SETTLED once its transaction ended and the vehicle left, in whichever order."""
        if not ready_to_settle(self.kinds(conn, session_id)):
            return False
        self.write(conn, session_id, [self._settled(at, key)], [])
        return True

    @staticmethod
    def _settled(at: datetime, key: str) -> NewEvent:
        return NewEvent.of(Settled(why="vehicle left"), at, EventSource.OCPP, f"{key}:settled")

    def late_soon(self, conn: Connection, session_id: int, at: datetime, key: str) -> bool:
        """`late`, asked of the group-commit batch (MeterValues, many a second): one query answers all its messages
        (`late_among`), not one each, and LATE_FACTS joins the work's outcome if so; False then. Outside a batch
        that answers questions, `late` now."""
        batch = batch_of(conn)
        if batch is None or batch.checks is None:
            return self.late(conn, session_id, at, key)
        batch.defer((session_id, at, key))
        return False

    def late_among(self, conn: Connection, questions: list[tuple[int, tuple[int, datetime, str]]]
                   ) -> dict[int, set]:
        """`late` for many (work index, (session, time, key)) at once: {work index: {LATE_FACTS}} for those late."""
        settled = set(conn.execute(select(session_events.c.session_id).distinct().where(
            session_events.c.session_id.in_({session_id for _, (session_id, _, _) in questions}),
            session_events.c.kind == EventKind.SETTLED.value)).scalars())
        stored: dict[int, set] = {}
        for work, (session_id, at, key) in questions:
            if session_id in settled:
                self.write(conn, session_id, [NewEvent.of(LateFacts(), at, EventSource.OCPP, f"{key}:late")], [])
                stored[work] = {EventKind.LATE_FACTS}
        return stored

    def late(self, conn: Connection, session_id: int, at: datetime, key: str) -> bool:
        """A fact arrived for a session already settled: record that it must be priced again."""
        if EventKind.SETTLED.value not in self.kinds(conn, session_id):
            return False
        self.write(conn, session_id, [NewEvent.of(LateFacts(), at, EventSource.OCPP, f"{key}:late")], [])
        return True

    def close_stale(self, conn: Connection, station: StationInfo, at: datetime, why: str, evidence: str, key: str,
                    connector: int | None = None, keep: int | None = None) -> list[int]:
        """Close the station's sessions (on one connector, or all) that its own messages show are over: it booted,
        a new transaction began on the connector, or its status contradicts them. Each is flagged, ended at its
        last known fact (the driver pays for nothing after it), and its vehicle counted as gone."""
        query = select(sessions.c.id).where(
            sessions.c.station_id == station.id, sessions.c.external_key.like("ocpp:%"),
            sessions.c.status.in_([s.value for s in ACTIVE_STATUSES]))
        if connector is not None:
            query = query.where(sessions.c.connector_id == connector)
        if keep is not None:
            query = query.where(sessions.c.id != keep)
        closed = []
        batch = batch_of(conn)
        if batch is not None:
            batch.flush()  # readings still in the batch are facts too
        for session_id in conn.execute(query.order_by(sessions.c.id)).scalars().all():
            last = self.ledger.project(session_id, connection=conn).last_event_at  # the stored row may lag
            # just after its last fact (at the same instant, a 2.0.1 seqNo would order the close before it)
            ended = min(last + timedelta(milliseconds=1), at) if last is not None else at
            close = NewEvent.of(ForceClosed(by=f"station {station.id}", why=why, evidence=evidence), ended,
                                EventSource.OCPP, f"{key}:stale:{session_id}")
            if self.write(conn, session_id, [close], []):
                log.warning("closed session %s on %s: %s", session_id, station.id, why)
                self.write(conn, session_id, [ocpp_event(EventKind.UNPLUGGED, at, f"{key}:stale-left:{session_id}")],
                           [])
                self.settle_if_ready(conn, session_id, at, f"{key}:stale:{session_id}")
                closed.append(session_id)
        return closed

    def set_station_status(self, conn: Connection, station_id: str, status: str, at: datetime) -> None:
        from ..storage.tables import stations
        conn.execute(update(stations).where(stations.c.id == station_id).values(status=status[:32], last_seen_at=at))
