"""The push queue: what each partner must receive, delivered oldest first per partner, retried while it is down.

Rows are written by `enqueue` inside the writer's transaction (or the outbox reaction's, keyed so a replay adds
nothing). Each row has a lane (a hash of its object group: a session with its CDRs, a location with its EVSEs), and
the Pusher thread delivers each partner's lanes side by side, each oldest first; a partner that does not answer (or
answers 5xx / 3xxx) keeps the row pending with backoff, and the later rows of its lane wait behind it, so every
object's pushes arrive in order. A row the partner refuses as such (2xxx: the object itself is wrong for it) is
marked failed with the partner's answer and the queue goes on. Each partner is delivered on its own, so one that is
down delays nobody else, and the chargers never wait for any of it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import weakref
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import httpx
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..background import BackgroundLoop
from ..storage import leases
from ..storage.leases import held
from ..storage.locks import write_lock
from ..storage.tables import ocpi_partners, ocpi_pushes
from ..pricing import ocpi_json
from . import partners as store
from .numbers import dumps
from .client import TIMEOUT, PartnerRefused, Route, call
from .patches import apply

log = logging.getLogger(__name__)
PENDING, SENT, FAILED, REPLACED = "pending", "sent", "failed", "replaced"
BATCH = 200
ENERGY_INTERVAL = 60.0  # seconds between pushes of a session's energy while it charges (when it changed)
LANES = 8  # per partner; a partner that answers in 50 ms takes 8 pushes at a time, each lane in order


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … seconds, at most a minute: a partner back from maintenance is served again within a minute."""
    return timedelta(seconds=min(2 ** (attempts - 1), 60))


def lane_of(group: str) -> int:
    return zlib.crc32(group.encode()) % LANES


def enqueue(conn: Connection, partner_id: int, module: str, object_id: str, method: str, path: str,
            body: Any, key: str | None = None, url: str | None = None, group: str | None = None,
            to_party: tuple[str, str] | None = None) -> bool:
    """Queue one push in the caller's transaction. With a key already queued, nothing is added (False). `group`
    (default: the object) names what must stay in order with it: a session and its CDRs, a location and its EVSEs.
    `to_party` (country code, party id): the party it is for, when that is not the partner itself but a party
    behind it (the partner is a hub)."""
    return enqueue_many(conn, [Push(partner_id, module, object_id, method, path, body, key, url, group,
                                    to_party)]) == 1


@dataclass(frozen=True)
class Push:
    """One push to queue: `enqueue`'s arguments."""
    partner_id: int
    module: str
    object_id: str
    method: str
    path: str
    body: Any
    key: str | None = None
    url: str | None = None
    group: str | None = None
    to_party: tuple[str, str] | None = None

    def values(self) -> dict[str, Any]:
        # the body is kept as its OCPI JSON text (a JSON string in the column), so its numbers stay exact
        return dict(partner_id=self.partner_id, lane=lane_of(f"{self.group or self.object_id}"), module=self.module,
                    object_id=self.object_id, method=self.method, path=self.path,
                    body=None if self.body is None else dumps(self.body), key=self.key, url=self.url,
                    state=PENDING, attempts=0, next_attempt_at=_utcnow(), created_at=_utcnow(),
                    to_country_code=self.to_party[0] if self.to_party else None,
                    to_party_id=self.to_party[1] if self.to_party else None)


def enqueue_many(conn: Connection, pushes: list[Push]) -> int:
    """`enqueue` for many pushes in the caller's transaction, in their order (one object's pushes keep theirs): the
    keys looked up in one query and the rows inserted in one statement. Returns how many were added."""
    keys = [p.key for p in pushes if p.key is not None]
    known = set(conn.execute(select(ocpi_pushes.c.key).where(ocpi_pushes.c.key.in_(keys))).scalars()) \
        if keys else set()
    fresh = []
    for push in pushes:
        if push.key is None or push.key not in known:
            fresh.append(push)
            known.add(push.key)
    if not fresh:
        return 0
    rows = [push.values() for push in fresh]
    if all(push.key is None for push in fresh):
        conn.execute(insert(ocpi_pushes), rows)
        return len(rows)
    # SQLite: pysqlite sends BEGIN only before a write, so a SAVEPOINT as the transaction's first write would open
    # (and its RELEASE commit, with a sync) a transaction of its own; take the write lock first to nest it
    write_lock(conn)
    try:
        with conn.begin_nested():  # a concurrent writer of the same key: the first one wins, this one adds nothing
            conn.execute(insert(ocpi_pushes), rows)
        return len(rows)
    except IntegrityError:
        if len(rows) == 1:
            return 0
    added = 0  # one of them was written meanwhile by another writer: each on its own, so only that one is left out
    for push, row in zip(fresh, rows):
        try:
            with conn.begin_nested():
                conn.execute(insert(ocpi_pushes).values(**row))
            added += 1
        except IntegrityError:
            pass
    return added


def partner_copy(conn: Connection, partner_id: int, module: str, object_id: str) -> dict[str, Any] | None:
    """The object as the partner has it once every push queued so far arrived: the last PUT with the PATCHes after
    it (a refused push changed nothing there; a replaced one is inside the push that replaced it)."""
    q = ocpi_pushes.c
    rows = conn.execute(select(q.method, q.body).where(q.partner_id == partner_id, q.module == module,
                                                       q.object_id == object_id, q.state.in_((PENDING, SENT)),
                                                       q.method.in_(("PUT", "PATCH"))).order_by(q.id))
    copy = None
    for method, body in rows:
        copy = apply(copy, method, _object(body))
    return copy


def partner_copies(conn: Connection, partner_id: int, module: str, object_ids: list[str]
                   ) -> dict[str, dict[str, Any] | None]:
    """partner_copy for many objects of one partner, read in one query."""
    q = ocpi_pushes.c
    copies: dict[str, dict[str, Any] | None] = {object_id: None for object_id in object_ids}
    if object_ids:
        for object_id, method, body in conn.execute(
                select(q.object_id, q.method, q.body).where(q.partner_id == partner_id, q.module == module,
                                                            q.object_id.in_(object_ids),
                                                            q.state.in_((PENDING, SENT)),
                                                            q.method.in_(("PUT", "PATCH"))).order_by(q.id)):
            copies[object_id] = apply(copies[object_id], method, _object(body))
    return copies


def _object(body: Any) -> Any:
    return ocpi_json.loads(body) if isinstance(body, str) else body


# -- what the operator sees -----------------------------------------------------------------------------------------
@dataclass
class Counts:
    pending: int = 0
    failed: int = 0
    sent: int = 0
    retrying: int = 0
    last_sent_at: datetime | None = None
    last_error: str | None = None


def counts(engine: Engine) -> dict[int, Counts]:
    q = ocpi_pushes.c
    found: dict[int, Counts] = {}
    with engine.connect() as conn:
        for pid, state, n, last in conn.execute(select(q.partner_id, q.state, func.count(), func.max(q.sent_at))
                                                .group_by(q.partner_id, q.state)):
            c = found.setdefault(pid, Counts())
            setattr(c, state, n)
            if state == SENT:
                c.last_sent_at = last
        for pid, n in conn.execute(select(q.partner_id, func.count()).where(q.state == PENDING, q.attempts > 0)
                                   .group_by(q.partner_id)):
            found[pid].retrying = n
        for pid, error in conn.execute(select(q.partner_id, q.last_error).where(q.last_error.is_not(None))
                                       .order_by(q.id.desc())):
            if found[pid].last_error is None:
                found[pid].last_error = error
    return found


def listing(engine: Engine, partner_id: int | None = None, state: str | None = None,
            limit: int = 50) -> list[dict[str, Any]]:
    q = ocpi_pushes.c
    query = select(q.id, q.partner_id, q.module, q.object_id, q.method, q.state, q.attempts, q.next_attempt_at,
                   q.created_at, q.sent_at, q.last_error).order_by(q.id).limit(limit)
    if partner_id is not None:
        query = query.where(q.partner_id == partner_id)
    if state:
        query = query.where(q.state == state)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


# -- delivery -------------------------------------------------------------------------------------------------------
def _target(partner: store.Partner, row) -> str | None:
    if row.url:
        return row.url
    base = partner.endpoint(row.module, as_given=not row.path)
    return base + row.path if base else None


def deliver_partner(engine: Engine, partner: store.Partner, client: httpx.Client | None = None,
                    lane: int | None = None, stopping: Callable[[], bool] | None = None) -> int:
    """Every lane of the partner (or one), one after another; `stopping` ends it between two pushes."""
    lanes = range(LANES) if lane is None else (lane,)
    return sum(_deliver_lane(engine, partner, client, n, stopping) for n in lanes)


def _deliver_lane(engine: Engine, partner: store.Partner, client: httpx.Client | None, lane: int,
                  stopping: Callable[[], bool] | None = None) -> int:
    """Send this partner's due rows in order until one must wait; returns how many were sent. One process at a time
    delivers a partner (a lease): with several workers each push goes out once, in order."""
    with held(engine, leases.OCPI_PUSHES, partner.id * LANES + lane, wait=False) as conn:
        return _deliver_rows(conn, partner, client, lane, stopping) if conn is not None else 0


def _deliver_rows(conn: Connection, partner: store.Partner, client: httpx.Client | None, lane: int,
                  stopping: Callable[[], bool] | None) -> int:
    """Rows the partner took are marked sent in one transaction per batch, not one each: a commit per push would
    be most of the cost. A crash before that commit sends them again, which the partner absorbs (by object id).
    Every statement runs on the lease's connection, and no transaction stays open across a request."""
    q = ocpi_pushes.c
    route = Route(partner.our_country_code, partner.our_party_id, partner.country_code, partner.party_id)
    sent = 0
    while True:
        rows = conn.execute(select(ocpi_pushes).where(q.partner_id == partner.id, q.state == PENDING,
                                                      q.lane == lane).order_by(q.id).limit(BATCH)).all()
        conn.rollback()  # the read's transaction ends before any request goes out
        if not rows:
            return sent
        if _coalesce(conn, rows):
            continue  # read the lane again, with the merged pushes
        taken: list[Any] = []
        try:
            for row in rows:
                if stopping is not None and stopping():
                    return sent + len(taken)
                if row.next_attempt_at > _utcnow():
                    return sent + len(taken)  # the oldest waits for its retry; the rest wait behind it, in order
                url = _target(partner, row)
                try:
                    if url is None:
                        raise PartnerRefused(f"the partner has no {row.module} receiver endpoint", retry=False)
                    call(row.method, url, partner.their_token or "", route_of(route, row), row.body, client=client)
                except PartnerRefused as exc:
                    _failed(conn, row, str(exc), exc.retry)
                    if exc.retry:
                        return sent + len(taken)
                    continue
                taken.append(row)
        finally:
            _mark_sent(conn, taken)
        sent += len(taken)
        if len(rows) < BATCH:
            # the lane was read to its end: a row queued since comes with a wake-up (`wake`), and the Pusher's next
            # round, which follows every delivery, finds it with one query for all lanes: no second read per push
            return sent


def route_of(route: Route, row) -> Route:
    """To a hub, a push for one party behind it says so in its OCPI-to-* headers (the hub routes it); a push for
    every party (a location, a tariff) is addressed to the hub itself."""
    if row.to_country_code and row.to_party_id:
        return Route(route.our_country_code, route.our_party_id, row.to_country_code, row.to_party_id)
    return route


def _coalesce(conn: Connection, rows: list) -> bool:
    """A session's PUT/PATCHes waiting together (never tried yet) become one push, the newest, carrying the effect of
    all of them (a PUT if one was), so a partner that fell behind catches up with one request per session. The merged
    body is written before anything is sent, so a retry of it still carries everything."""
    waiting: dict[str, list] = {}
    for row in rows:
        if row.module == "sessions" and row.method in ("PUT", "PATCH") and row.attempts == 0:
            waiting.setdefault(row.object_id, []).append(row)
    merges = [same for same in waiting.values() if len(same) > 1]
    if not merges:
        return False
    with conn.begin():
        for same in merges:
            merged, method = None, "PATCH"
            for row in same:
                merged = apply(merged, row.method, _object(row.body))
                method = "PUT" if row.method == "PUT" else method
            conn.execute(update(ocpi_pushes).where(ocpi_pushes.c.id.in_([r.id for r in same[:-1]]))
                         .values(state=REPLACED))
            conn.execute(update(ocpi_pushes).where(ocpi_pushes.c.id == same[-1].id)
                         .values(method=method, body=dumps(merged)))
    return True


def _mark_sent(conn: Connection, rows: list) -> None:
    if not rows:
        return
    now = _utcnow()
    with conn.begin():
        for attempts in {r.attempts for r in rows}:
            ids = [r.id for r in rows if r.attempts == attempts]
            conn.execute(update(ocpi_pushes).where(ocpi_pushes.c.id.in_(ids))
                         .values(state=SENT, sent_at=now, attempts=attempts + 1))


def _failed(conn: Connection, row, error: str, retry: bool) -> None:
    attempts = row.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_error": error[:2000]}
    if retry:
        values["next_attempt_at"] = _utcnow() + backoff(attempts)
    else:
        values["state"] = FAILED
    log.warning("OCPI push %s (%s %s) to partner %s: %s", row.id, row.module, row.object_id, row.partner_id, error)
    with conn.begin():
        conn.execute(update(ocpi_pushes).where(ocpi_pushes.c.id == row.id).values(**values))


def lanes_waiting(engine: Engine) -> list[tuple[int, int]]:
    """(partner, lane) pairs with a push that is due."""
    q = ocpi_pushes.c
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(q.partner_id, q.lane).distinct().join(
            ocpi_partners, ocpi_partners.c.id == q.partner_id).where(
            q.state == PENDING, q.next_attempt_at <= _utcnow(), ocpi_partners.c.status == store.REGISTERED)
            .order_by(q.partner_id, q.lane))]


def deliver(engine: Engine, client: httpx.Client | None = None) -> int:
    """One round over every partner lane with due pushes, one after another (tests, scripts)."""
    return sum(_deliver_lane(engine, store.get(engine, pid), client, lane) for pid, lane in lanes_waiting(engine))


_pushers: "weakref.WeakKeyDictionary[Engine, Pusher]" = weakref.WeakKeyDictionary()


def wake(engine: Engine) -> None:
    """Writers call this after committing pushes: the pusher of this process sends them now, not at its next poll."""
    pusher = _pushers.get(engine)
    if pusher is not None:
        pusher.wake()


class Pusher(BackgroundLoop):
    """Delivers the queue in a thread of its own: one worker per partner lane with due pushes, so a partner that
    hangs until its timeout holds back only its own queue, and a slow partner still takes LANES pushes at a time."""

    name = "ocpi-pusher"
    stop_timeout = 15.0
    registry = _pushers

    def __init__(self, engine: Engine, poll_interval: float = 0.5, energy_interval: float = ENERGY_INTERVAL):
        super().__init__(engine, poll_interval)
        self.energy_interval = energy_interval
        self._energy_due = 0.0
        self._busy: dict[tuple[int, int], threading.Thread] = {}
        self._client: httpx.Client | None = None

    @contextlib.contextmanager
    def resources(self):
        self._energy_due = time.monotonic() + self.energy_interval
        with httpx.Client(timeout=TIMEOUT) as client:
            self._client = client
            try:
                yield
            finally:
                for thread in list(self._busy.values()):  # the lanes finish their request before the client closes
                    thread.join(TIMEOUT.read or 10)

    def round(self) -> None:
        if time.monotonic() >= self._energy_due:
            self._energy_due = time.monotonic() + self.energy_interval
            try:
                from .subscribers import push_energy  # the reactions import this module
                push_energy(self.engine)
            except Exception:  # noqa: BLE001 - tried again at the next interval
                log.exception("OCPI energy round failed")
        for pid, lane in lanes_waiting(self.engine):
            running = self._busy.get((pid, lane))
            if running is None or not running.is_alive():
                thread = threading.Thread(target=self._one, args=(pid, lane, self._client), daemon=True,
                                          name=f"ocpi-push-{pid}-{lane}")
                self._busy[(pid, lane)] = thread
                thread.start()

    def _one(self, partner_id: int, lane: int, client: httpx.Client) -> None:
        try:
            deliver_partner(self.engine, store.get(self.engine, partner_id), client, lane, self._stop.is_set)
        except Exception:  # noqa: BLE001 - looked at again on the next poll
            log.exception("OCPI pushes to partner %s failed", partner_id)
            return
        self._wake.set()  # a row added while this partner was being served is looked at at once
