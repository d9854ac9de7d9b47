"""Each connector's current status and error code as the station last reported it (1.6 StatusNotification;
2.0.1 StatusNotification and connector events), kept per station under one topic; connector 0 is the station.
The message log keeps the history; this is what the API and the station page show now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from . import station_state

TOPIC = "connector_status"
_KEEP = 64  # connectors (and EVSEs) of one station: far more than any station has


def reported(engine: Engine | Connection, station_id: str, connector: int, status: str, error_code: str | None,
             at: datetime, more: dict | None = None) -> None:
    """`more`: what else the station said (1.6 info, vendorErrorCode). `engine` may be the connection of the
    message's own transaction."""
    station_state.merge(engine, station_id, TOPIC, str(connector), {
        "status": status, "error_code": error_code, "at": at.isoformat(),
        **{k: v for k, v in (more or {}).items() if v is not None}}, at, _KEEP)


def of_station(engine: Engine, station_id: str) -> dict[str, dict]:
    """{connector number: {status, error_code, at, …}}, by connector number."""
    held = station_state.recall(engine, station_id, TOPIC) or {}
    return dict(sorted(held.items(), key=lambda item: int(item[0]) if item[0].isdigit() else 0))
