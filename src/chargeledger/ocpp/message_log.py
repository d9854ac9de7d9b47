"""Every OCPP frame in both directions, kept for support staff; written in batches so logging costs little.

A frame that concerns a session carries its session ID. Retention is a purge of frames older than N days.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Awaitable, Callable

from sqlalchemy import Engine, and_, delete, func, or_, select

from ..storage.tables import ocpp_messages
from . import raw_rows

log = logging.getLogger(__name__)
_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Frame:
    station_id: str
    time: datetime
    direction: str  # in | out
    message_type: int  # 2 Call, 3 CallResult, 4 CallError (0: not a readable OCPP frame)
    action: str | None
    unique_id: str | None
    payload: str
    session_id: int | None = None

    def row(self, session_id: int | None = None) -> dict:
        """The table row; `session_id` tags the frame when it is stored with the work that found its session."""
        return {"station_id": self.station_id, "time": self.time, "direction": self.direction,
                "message_type": self.message_type, "action": (self.action or "")[:64] or None,
                "unique_id": (self.unique_id or "")[:64] or None, "payload": self.payload,
                "session_id": self.session_id if session_id is None else session_id}

    def values(self, session_id: int | None = None) -> tuple:
        """The row as raw_rows.FRAMES values, for writing at driver speed."""
        return (self.station_id, self.time, self.direction, self.message_type, (self.action or "")[:64] or None,
                (self.unique_id or "")[:64] or None, self.payload,
                self.session_id if session_id is None else session_id)


class MessageLog:
    """Collects frames in memory and writes them every `flush_every` seconds in one insert."""

    def __init__(self, engine: Engine, run: Callable[..., Awaitable], flush_every: float = 0.2):
        self.engine = engine
        self.run = run  # runs a write on the gateway's writer thread
        self.flush_every = flush_every
        self._pending: list[Frame] = []
        self._task: asyncio.Task | None = None
        self._flushing = asyncio.Lock()  # a flush returns only once frames taken by a concurrent one are written

    def add(self, frame: Frame) -> None:
        self._pending.append(frame)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.flush_every)
            await self.flush()

    async def flush(self) -> None:
        async with self._flushing:
            await self._flush()

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:_BATCH], self._pending[_BATCH:]
            try:
                await self.run(write_frames, self.engine, batch)
            except Exception:  # noqa: BLE001 - a log write failing must not stop the gateway; the ledger has the facts
                log.exception("could not write %d OCPP log frames", len(batch))

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self.flush()


def write_frames(engine: Engine, frames: list[Frame]) -> None:
    with engine.begin() as conn:
        raw_rows.write(conn, [(raw_rows.FRAMES, [f.values() for f in frames])])


def _as_dict(row) -> dict:
    return {"id": row.id, "time": row.time.isoformat().replace("+00:00", "Z"), "station_id": row.station_id,
            "direction": row.direction, "message_type": row.message_type, "action": row.action,
            "unique_id": row.unique_id, "payload": row.payload, "session_id": row.session_id}


def station_log(engine: Engine, station_id: str, start: datetime | None, end: datetime | None,
                limit: int = 1000) -> list[dict]:
    query = select(ocpp_messages).where(ocpp_messages.c.station_id == station_id)
    if start:
        query = query.where(ocpp_messages.c.time >= start)
    if end:
        query = query.where(ocpp_messages.c.time < end)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(ocpp_messages.c.time, ocpp_messages.c.id).limit(limit)).all()
    return [_as_dict(r) for r in rows]


def session_log(engine: Engine, session_id: int, station_id: str | None, start: datetime | None,
                end: datetime | None, widen: timedelta = timedelta(0), limit: int = 1000) -> list[dict]:
    """Frames tagged with the session; with `widen`, also the station's frames that long around them.

    The window is taken from the tagged frames' own (server) times, since a charger's clock may be off or its
    messages queued; the session's times are the fallback when no frame is tagged.
    """
    condition = ocpp_messages.c.session_id == session_id
    if widen and station_id:
        with engine.connect() as conn:
            first, last = conn.execute(select(func.min(ocpp_messages.c.time), func.max(ocpp_messages.c.time))
                                       .where(condition)).one()
        first, last = first or start, last or end or datetime.now(timezone.utc)
        if first is not None:
            window = and_(ocpp_messages.c.station_id == station_id, ocpp_messages.c.time >= first - widen,
                          ocpp_messages.c.time <= last + widen)
            condition = or_(condition, window)
    query = select(ocpp_messages).where(condition).order_by(ocpp_messages.c.time, ocpp_messages.c.id).limit(limit)
    with engine.connect() as conn:
        return [_as_dict(r) for r in conn.execute(query).all()]


def purge(engine: Engine, older_than: timedelta, now: datetime | None = None) -> int:
    """Retention: delete frames older than `older_than`; returns how many went."""
    cutoff = (now or datetime.now(timezone.utc)) - older_than
    with engine.begin() as conn:
        return conn.execute(delete(ocpp_messages).where(ocpp_messages.c.time < cutoff)).rowcount
