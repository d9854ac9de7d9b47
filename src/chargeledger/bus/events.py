"""Ledger events across processes: each committed event as a typed message with a version, in commit order.

The relay reads session_events (the outbox) from a checkpoint of its own, publishes each event on
`chargeledger.events.<kind>` (headers: its type and version; the event id as Nats-Msg-Id, so a JetStream stream
drops the duplicate a relay killed between publishing and saving its checkpoint may send), then saves the
checkpoint: at least once, in order, nothing lost. One relay runs at a time across worker processes (a lease).

A reader turns a message back into its typed class (`domain/typed_events.py`, through `upcast` for older
versions). One it does not know — a kind this code lacks, or a newer version of a kind it has — is logged and
skipped: a newer process on the bus must not stop an older one.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

import orjson
from nats.aio.client import Client
from sqlalchemy import Engine, select

from ..domain.events import EventKind
from ..domain.typed_events import REGISTRY, VERSION_KEY, LedgerEvent
from ..ledger import outbox
from ..storage import leases
from ..storage.leases import held
from ..storage.tables import session_events
from . import EVENTS

log = logging.getLogger(__name__)
RELAY = "bus"  # the relay's checkpoint in outbox_checkpoints
TYPE, VERSION = "Chargeledger-Type", "Chargeledger-Version"


@dataclass(frozen=True)
class Received:
    event_id: int
    session_id: int
    occurred_at: str
    event: LedgerEvent


def encode(event_id: int, session_id: int, kind: str, occurred_at: str, payload: dict) -> tuple[str, bytes, dict]:
    version = int(payload.get(VERSION_KEY, 1))
    body = {"id": event_id, "session_id": session_id, "occurred_at": occurred_at, "payload": payload}
    headers = {TYPE: kind, VERSION: str(version), "Nats-Msg-Id": str(event_id)}
    return f"{EVENTS}.{kind}", orjson.dumps(body), headers


def decode(headers: dict | None, data: bytes) -> Received | None:
    """The typed event, or None (logged) for a type or version this process does not know, or a bad message."""
    headers = headers or {}
    kind, version = headers.get(TYPE, "?"), headers.get(VERSION, "?")
    try:
        cls = REGISTRY.get(EventKind(kind))
    except ValueError:
        cls = None
    if cls is None:
        log.warning("skipped an event of unknown type %r (version %s)", kind, version)
        return None
    if not version.isdigit() or int(version) > cls.version:
        log.warning("skipped %s version %s: this process knows up to version %s", kind, version, cls.version)
        return None
    try:
        body = orjson.loads(data)
        event = cls.from_payload({**body["payload"], VERSION_KEY: int(version)})
        return Received(int(body["id"]), int(body["session_id"]), str(body["occurred_at"]), event)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        log.warning("skipped a malformed %s event: %s", kind, exc)
        return None


async def subscribe(client: Client, on_event: Callable[[Received], Awaitable[None]], kinds: str = ">"):
    """Typed events of the given kinds (a subject token or `>` for all); unknown ones are logged and skipped."""

    async def handle(msg) -> None:
        received = decode(msg.headers, msg.data)
        if received is not None:
            await on_event(received)

    return await client.subscribe(f"{EVENTS}.{kinds}", cb=handle)


# -- the relay ------------------------------------------------------------------------------------------------------
def relay_once(engine: Engine, publish: Callable[[str, bytes, dict], None], flush: Callable[[], None],
               limit: int = outbox.BATCH) -> int:
    """Publish the next committed events after the relay's checkpoint (if no other relay holds the lease).

    The batch is flushed to the server before the checkpoint moves and before the lease is let go: a relay killed
    after its checkpoint must not take unsent messages with it, and the next relay's batch must not overtake them.
    """
    with held(engine, leases.BUS_RELAY, wait=False) as conn:
        if conn is None:
            return 0
        started = outbox.has_position(conn, RELAY)
        # first run: from where the reactions stand, not the whole history, and pinned there at once (below):
        # the reactions, woken at once by a writer's notice, may later pass events the relay has not sent yet
        at = outbox.position(conn, RELAY if started else outbox.CONSUMER)
        batch = outbox.pending(conn, at, limit)
        rows = {r.id: r for r in conn.execute(
            select(session_events.c.id, session_events.c.occurred_at, session_events.c.payload)
            .where(session_events.c.id.in_([e.id for e in batch])))} if batch else {}
        conn.rollback()  # the read's transaction ends before the messages go out
        for event in batch:
            row = rows[event.id]
            publish(*encode(event.id, event.session_id, event.kind, row.occurred_at.isoformat(), row.payload))
        if batch:
            flush()
        if batch or not started:
            outbox.save_position(conn, (batch[-1].txid, batch[-1].id) if batch else at, RELAY)
        return len(batch)


async def run_relay(engine: Engine, client: Client, interval: float = 0.5) -> None:
    """Relay until cancelled: a batch whenever there is one, else a look every `interval` seconds."""
    loop = asyncio.get_running_loop()

    def publish(subject: str, data: bytes, headers: dict) -> None:
        asyncio.run_coroutine_threadsafe(client.publish(subject, data, headers=headers), loop).result(10)

    def flush() -> None:
        asyncio.run_coroutine_threadsafe(client.flush(), loop).result(10)

    while True:
        try:
            if await asyncio.to_thread(relay_once, engine, publish, flush):
                continue
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the bus or the database is away: try again shortly
            log.exception("event relay round failed")
        await asyncio.sleep(interval)
