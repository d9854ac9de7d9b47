"""The bus between ChargeLedger processes: NATS (nats-py), never a broker of our own. Subjects are named here once.

- `chargeledger.gateway.<gateway>.commands`: request/reply, a remote command for a station that gateway holds;
- `chargeledger.stations.takeover`: a gateway that accepted a station tells the others to drop a stale socket;
- `chargeledger.events.<kind>`: committed ledger events as typed, versioned messages (bus/events.py);
- `chargeledger.outbox.committed`: a writer process committed events; workers drain now instead of at their poll;
- `chargeledger.reports.queued`: an API process queued a report job; workers look now instead of at their poll.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Callable

import nats
from nats.aio.client import Client

from ..settings import mask_url

log = logging.getLogger(__name__)
TAKEOVER = "chargeledger.stations.takeover"
EVENTS = "chargeledger.events"
COMMITTED = "chargeledger.outbox.committed"  # a writer stored events: workers, look now
REPORTS_QUEUED = "chargeledger.reports.queued"  # a report job waits: workers, look now
FIRST_CONNECT = 10.0  # seconds


class BusUnavailable(RuntimeError):
    pass


def token(name: str) -> str:
    """A process name as one subject token (NATS separates tokens with dots and reserves * and >)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name) or "_"


def commands_subject(gateway: str) -> str:
    return f"chargeledger.gateway.{token(gateway)}.commands"


def notice(client: Client, subject: str) -> Callable[[], None]:
    """For callers in any thread: publish a wake-up on `subject` on the client's loop (no payload, best effort).

    Coalesced: while one wake-up waits to be sent, further calls add nothing. The waiting one leaves after their
    commits (it is sent later than they called), so a worker it wakes sees them all; a gateway whose writer commits
    many batches a second sends one message per turn of its loop, not one per commit."""
    loop = asyncio.get_running_loop()
    waiting = [False]  # a wake-up is scheduled and not sent yet (a list: set from the writer thread, read on the loop)

    def send() -> None:
        waiting[0] = False  # before the publish: a commit from now on schedules its own wake-up
        loop.create_task(_publish(client, subject))

    def notice() -> None:
        if waiting[0]:
            return
        waiting[0] = True
        try:
            loop.call_soon_threadsafe(send)
        except RuntimeError:  # the loop closed (the process is stopping): nobody is left to send it
            waiting[0] = False

    return notice


async def _publish(client: Client, subject: str) -> None:
    try:
        await client.publish(subject, b"")
    except Exception:  # noqa: BLE001 - a missed notice costs one poll interval, nothing more
        log.debug("%s notice not sent", subject, exc_info=True)


async def connect(url: str, name: str) -> Client:
    """Connected, or BusUnavailable at once; once up, the client reconnects by itself for as long as it takes."""

    async def _error(exc: Exception) -> None:
        log.warning("bus %s: %s", mask_url(url), exc)

    async def _disconnected() -> None:
        log.warning("bus %s: disconnected; reconnecting", mask_url(url))

    try:
        # the client would retry a first connect for ever too: a process must not start without its bus
        return await asyncio.wait_for(
            nats.connect(url, name=name, connect_timeout=2, allow_reconnect=True, max_reconnect_attempts=-1,
                         reconnect_time_wait=0.5, error_cb=_error, disconnected_cb=_disconnected), FIRST_CONNECT)
    except Exception as exc:  # noqa: BLE001 - nats-py raises several kinds; all mean "no bus"
        raise BusUnavailable(f"cannot reach the bus at {mask_url(url)}: {type(exc).__name__}: {exc}") from None
