"""Which session an operator command acts on, so it is logged with that session (not with whichever session the
station's last message concerned): a command naming a transaction acts on its session; one naming a connector
(1.6) or EVSE (2.0.1) acts on the session open there, if any; anything else concerns the station only."""

from __future__ import annotations

from sqlalchemy import Engine, select

from ..storage.tables import sessions

_BY_TRANSACTION = {"RemoteStopTransaction", "RequestStopTransaction", "GetTransactionStatus"}


def _transaction(payload: dict):
    profile = payload.get("csChargingProfiles") or payload.get("chargingProfile") or {}
    return payload.get("transactionId") or profile.get("transactionId")


def _connector(payload: dict) -> int | None:
    for key in ("connectorId", "evseId"):
        if isinstance(payload.get(key), int):
            return payload[key]
    evse = payload.get("evse")
    return evse.get("id") if isinstance(evse, dict) and isinstance(evse.get("id"), int) else None


def acted_on(engine: Engine, recorder, station_id: str, version: str, name: str, payload: dict) -> int | None:
    if not isinstance(payload, dict):
        return None
    transaction = _transaction(payload)
    if transaction is not None:
        with engine.connect() as conn:
            return conn.execute(select(sessions.c.id).where(
                sessions.c.station_id == station_id, sessions.c.transaction_id == str(transaction))
                .order_by(sessions.c.id.desc()).limit(1)).scalar()
    if name in _BY_TRANSACTION:
        return None
    connector = _connector(payload)
    if not connector:
        return None
    with engine.connect() as conn:
        current = recorder.current(conn, station_id, connector)
    return current.session_id if current is not None else None
