"""Each connector's current status and error code, as its station last reported them (1.6 and 2.0.1
StatusNotification, 2.0.1 NotifyEvent on a connector's Problem); newest by the station's own time wins, so a late,
offline-queued notification does not overwrite a fresher one. Kept as station state, shown by the station API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ..storage.tables import station_states
from ..storage.upsert import upsert

PREFIX = "connector:"


def topic(evse: int, connector: int) -> str:
    return f"{PREFIX}{evse}:{connector}"


def record(conn: Connection, station_id: str, evse: int, connector: int, at: datetime, **values) -> None:
    """Inside the caller's transaction; `values`: status, error_code, info… (None leaves a value as it was)."""
    name = topic(evse, connector)
    held = conn.execute(select(station_states.c.value).where(station_states.c.station_id == station_id,
                                                             station_states.c.topic == name)).scalar() or {}
    if held.get("at") and datetime.fromisoformat(held["at"]) > at:
        return
    value = {**held, **{k: v for k, v in values.items() if v is not None}, "at": at.isoformat()}
    upsert(conn, station_states, [{"station_id": station_id, "topic": name, "value": value, "updated_at": at}],
           ["station_id", "topic"])


def of_station(states: dict[str, dict]) -> dict[tuple[int, int], dict]:
    """(evse, connector) -> status, from the station's states (station_state.states)."""
    found = {}
    for name, held in states.items():
        if name.startswith(PREFIX):
            evse, connector = name[len(PREFIX):].split(":")
            found[(int(evse), int(connector))] = held["value"]
    return found
