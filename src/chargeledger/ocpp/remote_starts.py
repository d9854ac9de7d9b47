"""Who asked for a remote start (2.0.1 RequestStartTransaction): the operator on a page, an API client, the
driver's app or a roaming partner's command. Kept by its remoteStartId, which the station repeats in the
TransactionEvent that starts the transaction, so the session is attributed to its source, not to Authorize."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from . import station_state

TOPIC = "remote_starts"
SOURCES = ("operator", "api", "app", "roaming")
_KEEP = 200  # the station answers within minutes; older asks are not waited for


def remember(engine: Engine, station_id: str, remote_start_id: int, source: str, by: str | None,
             at: datetime) -> None:
    station_state.merge(engine, station_id, TOPIC, str(remote_start_id),
                        {"source": source, "by": by, "at": at.isoformat()}, at, _KEEP)


def asked(engine: Engine, station_id: str, remote_start_id: int | None) -> dict | None:
    if remote_start_id is None:
        return None
    return (station_state.recall(engine, station_id, TOPIC) or {}).get(str(remote_start_id))
