"""A station's configuration as the back office knows it: the keys it reported (GetConfiguration) and the changes
it accepted (ChangeConfiguration). Never guessed: a key appears only once the station has told us about it.
A secret key (the 1.6 AuthorizationKey) is listed with its value hidden (station_secrets)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.engine import Connection

from ..storage.tables import station_configuration
from .station_secrets import HIDDEN, is_secret_key


def reported(engine: Engine, station_id: str, keys: list[dict], at: datetime) -> None:
    """Keys of a GetConfiguration answer ({key, readonly, value}), replacing what we knew of those keys."""
    with engine.begin() as conn:
        _replace(conn, station_id, keys, at)


def _replace(conn: Connection, station_id: str, keys: list[dict], at: datetime) -> None:
    for item in keys:
        key = str(item.get("key"))[:64]
        value = item.get("value")
        if value is not None and is_secret_key(key):
            value = HIDDEN
        conn.execute(delete(station_configuration).where(station_configuration.c.station_id == station_id,
                                                         station_configuration.c.key == key))
        conn.execute(station_configuration.insert().values(
            station_id=station_id, key=key, value=value, readonly=bool(item.get("readonly")),
            reported_at=at))


def changed(engine: Engine, station_id: str, key: str, value: str, at: datetime) -> None:
    """A ChangeConfiguration the station accepted (or will apply after a reboot)."""
    with engine.begin() as conn:
        known = conn.execute(select(station_configuration.c.readonly).where(
            station_configuration.c.station_id == station_id, station_configuration.c.key == key)).first()
        _replace(conn, station_id, [{"key": key, "value": value,
                                     "readonly": bool(known.readonly) if known else False}], at)


def configuration_of(engine: Engine, station_id: str) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(station_configuration).where(station_configuration.c.station_id == station_id)
                            .order_by(station_configuration.c.key)).all()
    return [{"key": r.key, "value": r.value, "readonly": r.readonly, "reported_at": r.reported_at} for r in rows]
