"""Security events stations report (SecurityEventNotification, 1.6 security extension and 2.0.1): kept beyond the
message log's retention, for the station page and the API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from ..storage.tables import security_events


def record(engine: Engine, station_id: str, kind: str, at: datetime, tech_info: str | None,
           received_at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(security_events.insert().values(station_id=station_id, at=at, type=kind[:50],
                                                     tech_info=(tech_info or None) and tech_info[:255],
                                                     received_at=received_at))


def of_station(engine: Engine, station_id: str, limit: int = 100) -> list[dict]:
    c = security_events.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.at, c.type, c.tech_info, c.received_at).where(c.station_id == station_id)
                            .order_by(c.id.desc()).limit(limit)).all()
    return [dict(r._mapping) for r in rows]
