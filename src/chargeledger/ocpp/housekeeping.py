"""Periodic ledger upkeep for OCPP sessions: settle stopped sessions after a timeout, flag silent ones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from ..domain.events import EventKind, EventSource
from ..domain.projection import ACTIVE_STATUSES
from ..domain.typed_events import Settled, SilenceFlagged
from ..ledger.store import Ledger, NewEvent
from ..storage.tables import session_events, sessions
from .settings import GatewaySettings


def sweep(engine: Engine, settings: GatewaySettings, now: datetime) -> dict[str, int]:
    ledger = Ledger(engine)
    settled = flagged = 0
    with engine.connect() as conn:
        stopped = conn.execute(select(sessions.c.id).where(
            sessions.c.external_key.like("ocpp:%"), sessions.c.status.in_(("Stopped", "Cancelled")),
            sessions.c.stopped_at < now - settings.settle_after,
            ~select(session_events.c.id).where(session_events.c.session_id == sessions.c.id,
                                               session_events.c.kind == EventKind.SETTLED.value).exists(),
        ).limit(1000)).scalars().all()
        silent = conn.execute(select(sessions.c.id, sessions.c.last_event_at).where(
            sessions.c.external_key.like("ocpp:%"), sessions.c.status.in_([s.value for s in ACTIVE_STATUSES]),
            sessions.c.last_event_at < now - settings.silence_after).limit(1000)).all()
    for session_id in stopped:
        settled += ledger.append(session_id, [NewEvent.of(Settled(why=f"no unplug within {settings.settle_after}"),
                                                          now, EventSource.SYSTEM, f"settle:{session_id}")])
        ledger.refresh(session_id)
    for session_id, last in silent:
        added = ledger.append(session_id, [NewEvent.of(SilenceFlagged(last_seen=last), now, EventSource.SYSTEM,
                                                       f"silence:{session_id}")])
        if added:
            flagged += 1
            ledger.refresh(session_id)
    return {"settled": settled, "flagged": flagged}
