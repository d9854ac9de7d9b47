"""One session with everything the API and the session page show: projection, events, intervals, samples."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from ..domain.meter import Measurand, Phase
from ..ledger.store import Ledger, utcnow
from ..ledger.summary import intervals_json, summarise
from ..storage.tables import sessions


def session_row(engine: Engine, session_id: int) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(sessions).where(sessions.c.id == session_id)).first()
    return dict(row._mapping) if row else None


def session_detail(engine: Engine, session_id: int, now: datetime | None = None) -> dict[str, Any] | None:
    row = session_row(engine, session_id)
    if row is None:
        return None
    ledger = Ledger(engine)
    events = ledger.events(session_id)
    samples = ledger.samples(session_id)
    from ..domain.projection import project

    view = project(events, samples, now=now or utcnow())
    return {
        "id": row["id"],
        "external_key": row["external_key"],
        "organisation_id": row["organisation_id"],
        "site_id": row["site_id"],
        "station_id": row["station_id"],
        "evse_id": row["evse_id"],
        "connector_id": row["connector_id"],
        "driver_id": row["driver_id"],
        **summarise(view),
        "intervals": intervals_json(view),
        "events": [{"seq": e.seq, "kind": e.kind.value, "occurred_at": e.occurred_at.isoformat(),
                    "recorded_at": e.recorded_at.isoformat() if e.recorded_at else None,
                    "source": e.source.value, "payload": e.payload} for e in events],
        "meter_samples": [{"time": s.time.isoformat(), "measurand": Measurand(s.measurand).name.lower(),
                           "phase": Phase(s.phase).name if s.phase else None, "value": s.value}
                          for s in samples],
    }
