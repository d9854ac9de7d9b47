"""What a station last told us, or we last asked of it, per topic (firmware, log upload, local list, charging
limit, remote starts…): one JSON value per station and topic, the newest replacing the older. The message log keeps
the history until it is purged; this keeps the current state for the station page and the API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from ..storage.tables import station_states
from ..storage.upsert import upsert


def remember(engine: Engine, station_id: str, topic: str, value: dict, at: datetime) -> None:
    with engine.begin() as conn:
        upsert(conn, station_states, [{"station_id": station_id, "topic": topic, "value": value, "updated_at": at}],
               ["station_id", "topic"])


def recall(engine: Engine, station_id: str, topic: str) -> dict | None:
    with engine.connect() as conn:
        return conn.execute(select(station_states.c.value).where(station_states.c.station_id == station_id,
                                                                 station_states.c.topic == topic)).scalar()


def merge(engine: Engine | Connection, station_id: str, topic: str, key: str, value: dict, at: datetime,
          keep: int) -> None:
    """Add one entry to a topic that holds the newest `keep` entries by key (e.g. remote starts by their id); each
    entry carries its ISO time in "at" (JSONB keeps no key order to count on). Given a connection, in its
    transaction (the group commit's: with the message that reported it)."""
    if isinstance(engine, Engine):
        with engine.begin() as conn:
            return merge(conn, station_id, topic, key, value, at, keep)
    conn = engine
    held = conn.execute(select(station_states.c.value).where(station_states.c.station_id == station_id,
                                                             station_states.c.topic == topic)).scalar() or {}
    held = {**held, key: value}
    held = dict(sorted(held.items(), key=lambda item: item[1]["at"])[-keep:])
    upsert(conn, station_states, [{"station_id": station_id, "topic": topic, "value": held, "updated_at": at}],
           ["station_id", "topic"])


def states(engine: Engine, station_id: str) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(station_states).where(station_states.c.station_id == station_id)
                            .order_by(station_states.c.topic)).all()
    return {row.topic: {"value": row.value, "updated_at": row.updated_at} for row in rows}
