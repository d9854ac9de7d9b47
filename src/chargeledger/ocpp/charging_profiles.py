"""The charging profiles a station holds, as far as its answers tell us (both versions): SetChargingProfile that it
accepted adds one, replacing a profile with the same id or the same connector, purpose and stack level (1.6 3.13.2,
2.0.1 K01.FR.05); ClearChargingProfile that it accepted removes the matching ones; a TxProfile ends with its
transaction. The composite schedule a station last reported is kept beside them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.engine import Connection

from ..storage.tables import charging_profiles
from . import station_state

COMPOSITE = "composite_schedule"


def accepted(engine: Engine, station_id: str, connector_id: int, profile: dict, at: datetime) -> None:
    """`profile` as the library reads it (snake_case): 1.6 charging_profile_id, 2.0.1 id."""
    profile_id = profile.get("charging_profile_id", profile.get("id"))
    purpose = profile["charging_profile_purpose"]
    c = charging_profiles.c
    with engine.begin() as conn:
        conn.execute(delete(charging_profiles).where(c.station_id == station_id, (c.profile_id == profile_id) | (
            (c.connector_id == connector_id) & (c.purpose == purpose) & (c.stack_level == profile["stack_level"]))))
        conn.execute(charging_profiles.insert().values(
            station_id=station_id, profile_id=profile_id, connector_id=connector_id,
            stack_level=profile["stack_level"], purpose=purpose,
            transaction_id=str(profile["transaction_id"]) if profile.get("transaction_id") is not None else None,
            profile=profile, set_at=at))


def cleared(engine: Engine, station_id: str, profile_id: int | None = None, connector_id: int | None = None,
            purpose: str | None = None, stack_level: int | None = None) -> None:
    """An accepted ClearChargingProfile: by id, or every profile matching all the criteria given (none: all)."""
    c = charging_profiles.c
    query = delete(charging_profiles).where(c.station_id == station_id)
    if profile_id is not None:
        query = query.where(c.profile_id == profile_id)
    else:
        for column, value in ((c.connector_id, connector_id), (c.purpose, purpose), (c.stack_level, stack_level)):
            if value is not None:
                query = query.where(column == value)
    with engine.begin() as conn:
        conn.execute(query)


def not_taken(engine: Engine, station_id: str, profile_id: int) -> None:
    """A TxProfile held for a remote start the station refused: no transaction will take it."""
    c = charging_profiles.c
    with engine.begin() as conn:
        conn.execute(delete(charging_profiles).where(c.station_id == station_id, c.profile_id == profile_id,
                                                     c.transaction_id.is_(None)))


def transaction_began(conn: Connection, station_id: str, connector_id: int, transaction_id: str) -> None:
    """A TxProfile that came with a remote start (no transaction yet) belongs to the transaction that began."""
    c = charging_profiles.c
    conn.execute(update(charging_profiles).where(
        c.station_id == station_id, c.purpose == "TxProfile", c.transaction_id.is_(None),
        c.connector_id.in_([0, connector_id])).values(transaction_id=str(transaction_id), connector_id=connector_id))


def transaction_ended(conn: Connection, station_id: str, transaction_id: str) -> None:
    conn.execute(delete(charging_profiles).where(charging_profiles.c.station_id == station_id,
                                                 charging_profiles.c.purpose == "TxProfile",
                                                 charging_profiles.c.transaction_id == str(transaction_id)))


def composite_reported(engine: Engine, station_id: str, connector_id: int, answer: dict, at: datetime) -> None:
    station_state.remember(engine, station_id, COMPOSITE, {**answer, "connector_id": connector_id,
                                                           "reported_at": at.isoformat()}, at)


def of_station(engine: Engine, station_id: str) -> dict:
    c = charging_profiles.c
    with engine.connect() as conn:
        rows = conn.execute(select(charging_profiles).where(c.station_id == station_id)
                            .order_by(c.connector_id, c.purpose, c.stack_level.desc())).all()
    return {"profiles": [dict(r._mapping) for r in rows],
            "composite_schedule": station_state.recall(engine, station_id, COMPOSITE)}
