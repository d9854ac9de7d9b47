"""Periodic ledger upkeep for OCPP sessions: settle stopped sessions after a timeout, flag silent ones, and close
the ones the station shows are over while no stop followed: their vehicle reported gone, or their connector's
status contradicting them (contradicting_status.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from ..domain.events import EventKind, EventSource
from ..domain.projection import ACTIVE_STATUSES
from ..domain.typed_events import ForceClosed, Settled, SilenceFlagged
from ..ledger.store import Ledger, NewEvent
from ..storage.tables import session_events, sessions
from .contradicting_status import contradicted
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
        # 1.6 chargers often report Available before their StopTransaction: only after a grace period without
        # any stop is the session taken as over (its vehicle gone, its transaction never closed by the charger)
        abandoned = conn.execute(select(sessions.c.id, sessions.c.station_id).where(
            sessions.c.external_key.like("ocpp:%"), sessions.c.status.in_([s.value for s in ACTIVE_STATUSES]),
            select(session_events.c.id).where(session_events.c.session_id == sessions.c.id,
                                              session_events.c.kind == EventKind.UNPLUGGED.value,
                                              session_events.c.occurred_at < now - settings.stop_grace).exists(),
        ).limit(1000)).all()
        silent = conn.execute(select(sessions.c.id, sessions.c.last_event_at).where(
            sessions.c.external_key.like("ocpp:%"), sessions.c.status.in_([s.value for s in ACTIVE_STATUSES]),
            sessions.c.last_event_at < now - settings.silence_after).limit(1000)).all()
    for session_id in stopped:
        settled += ledger.append(session_id, [NewEvent.of(Settled(why=f"no unplug within {settings.settle_after}"),
                                                          now, EventSource.SYSTEM, f"settle:{session_id}")])
        ledger.refresh(session_id)
    closed = 0
    minutes = int(settings.stop_grace.total_seconds() // 60)
    gone = {session_id for session_id, _ in abandoned}
    for session_id, station_id in abandoned:
        last = ledger.project(session_id, now=now).last_event_at or now
        close = ForceClosed(by=f"station {station_id}", evidence="StatusNotification Available",
                            why=f"the vehicle was reported gone and no stop followed within {minutes} min")
        if ledger.append(session_id, [
                NewEvent.of(close, min(last + timedelta(milliseconds=1), now), EventSource.SYSTEM,
                            f"abandoned:{session_id}"),
                NewEvent.of(Settled(why="vehicle left"), now, EventSource.SYSTEM, f"abandoned-settle:{session_id}")]):
            closed += 1
            ledger.refresh(session_id)
    for found in contradicted(engine, settings.stop_grace, now, skip=gone):
        close = ForceClosed(by=f"station {found.station_id}", evidence=found.evidence,
                            why=f"{found.why} ({found.status}) and no stop or reading followed within {minutes} min")
        if ledger.append(found.session_id, [
                NewEvent.of(close, min(found.last_fact_at + timedelta(milliseconds=1), now), EventSource.SYSTEM,
                            f"contradicted:{found.session_id}"),
                NewEvent.of(Settled(why=f"connector {found.status}"), now, EventSource.SYSTEM,
                            f"contradicted-settle:{found.session_id}")]):
            closed += 1
            gone.add(found.session_id)
            ledger.refresh(found.session_id)
    for session_id, last in silent:
        if session_id in gone:
            continue  # closed above: its silence is explained
        added = ledger.append(session_id, [NewEvent.of(SilenceFlagged(last_seen=last), now, EventSource.SYSTEM,
                                                       f"silence:{session_id}")])
        if added:
            flagged += 1
            ledger.refresh(session_id)
    return {"settled": settled, "flagged": flagged, "closed": closed}
