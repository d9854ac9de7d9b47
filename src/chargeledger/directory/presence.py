"""Which gateway process holds each station's websocket, as the gateways write it and the API reads it.

A gateway renews its lease (`gateways.renewed_at`) every RENEW_EVERY seconds; a station whose gateway's lease is
older than LEASE is offline, whatever its row still says: a gateway killed with SIGKILL cannot clear its stations,
so readers judge by the lease. A station taken over by another gateway is the new one's at once (the row names
one gateway), and the old gateway's later disconnect changes nothing that is not its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.engine import Connection

from ..storage.tables import gateways, stations

RENEW_EVERY = 3.0             # seconds between a gateway's lease renewals
LEASE = timedelta(seconds=10)  # no renewal for this long: the gateway is gone


def gateway_started(engine: Engine, name: str, at: datetime) -> None:
    """A (re)started gateway holds nothing yet: a previous process of the same name may have died holding some."""
    with engine.begin() as conn:
        _release_all(conn, name, at)
        conn.execute(delete(gateways).where(gateways.c.name == name))
        conn.execute(insert(gateways).values(name=name, started_at=at, renewed_at=at))


def gateway_renewed(engine: Engine, name: str, at: datetime) -> None:
    with engine.begin() as conn:
        if not conn.execute(update(gateways).where(gateways.c.name == name).values(renewed_at=at)).rowcount:
            conn.execute(insert(gateways).values(name=name, started_at=at, renewed_at=at))


def gateway_stopped(engine: Engine, name: str, at: datetime) -> None:
    with engine.begin() as conn:
        _release_all(conn, name, at)
        conn.execute(delete(gateways).where(gateways.c.name == name))


def _release_all(conn: Connection, name: str, at: datetime) -> None:
    conn.execute(update(stations).where(stations.c.gateway == name)
                 .values(gateway=None, connected_since=None, status="Offline", last_seen_at=at))


def station_connected(conn: Connection, station_id: str, gateway: str, at: datetime) -> None:
    """In the caller's transaction: a gateway writes it in its group commit, with other connects and messages (one
    transaction of its own per connect made a reconnect storm wait on a commit each)."""
    conn.execute(update(stations).where(stations.c.id == station_id)
                 .values(gateway=gateway, connected_since=at, last_message_at=at, last_seen_at=at))


def station_disconnected(engine: Engine, station_id: str, gateway: str, at: datetime) -> None:
    """Only if this gateway still holds it: a takeover by another gateway stands."""
    with engine.begin() as conn:
        conn.execute(update(stations).where(stations.c.id == station_id, stations.c.gateway == gateway)
                     .values(gateway=None, connected_since=None, status="Offline", last_seen_at=at))


def messages_seen(engine: Engine, seen: dict[str, datetime]) -> None:
    """Last message (and seen) times of many stations in one transaction: not a write per message."""
    if not seen:
        return
    with engine.begin() as conn:
        for station_id, at in seen.items():
            conn.execute(update(stations).where(stations.c.id == station_id)
                         .values(last_seen_at=at, last_message_at=at))


def holder(engine: Engine, station_id: str, now: datetime) -> str | None:
    """The gateway holding the station now, if its lease is alive."""
    with engine.connect() as conn:
        return conn.execute(select(stations.c.gateway).join(gateways, gateways.c.name == stations.c.gateway)
                            .where(stations.c.id == station_id, gateways.c.renewed_at > now - LEASE)).scalar()


def live_gateways(conn: Connection, now: datetime) -> set[str]:
    return set(conn.execute(select(gateways.c.name).where(gateways.c.renewed_at > now - LEASE)).scalars())


def connection_state(row: dict, alive: set[str]) -> dict:
    """A station row's connection fields as the API shows them: held by a live gateway, or offline."""
    connected = row.get("gateway") is not None and row["gateway"] in alive
    return {"connected": connected, "gateway": row.get("gateway") if connected else None,
            "connected_since": row.get("connected_since") if connected else None,
            "last_message_at": row.get("last_message_at")}


def with_connection_state(conn: Connection, rows: list[dict], now: datetime) -> list[dict]:
    alive = live_gateways(conn, now) if any(r.get("gateway") for r in rows) else set()
    for row in rows:
        row.update(connection_state(row, alive))
    return rows


__all__ = ["RENEW_EVERY", "LEASE", "gateway_started", "gateway_renewed", "gateway_stopped", "station_connected",
           "station_disconnected", "messages_seen", "holder", "with_connection_state"]
