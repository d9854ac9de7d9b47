"""The reservation store, for both OCPP versions: a connector (1.6; 0 is the whole station) or EVSE (2.0.1)
held for one token (or its group) until it expires, is cancelled, or a transaction starts on it.

A reservation is written when the station answers ReserveNow (whoever built the message: the reservation API or an
operator's payload through the generic command route), with the station's answer as its status. Only an Accepted
one holds the connector; past its expiry it is Expired (the sweep writes it, readers compute it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select, update
from sqlalchemy.engine import Connection

from ..domain.people import token_key
from ..storage.tables import reservations
from ..storage.upsert import upsert

HOLDING = "Accepted"


def next_id(engine: Engine, station_id: str) -> int:
    """The reservationId for a new reservation at this station (ids are unique per station)."""
    with engine.connect() as conn:
        return (conn.execute(select(func.max(reservations.c.reservation_id))
                             .where(reservations.c.station_id == station_id)).scalar() or 0) + 1


def answered(engine: Engine, station_id: str, reservation_id: int, connector_id: int, id_tag: str,
             group_id: str | None, expires_at: datetime, status: str, at: datetime) -> None:
    """The station answered a ReserveNow: the same reservationId again replaces the reservation (OCPP 1.6 5.13)."""
    with engine.begin() as conn:
        upsert(conn, reservations, [{
            "station_id": station_id, "reservation_id": reservation_id, "connector_id": connector_id,
            "id_tag": id_tag, "group_id": group_id, "expires_at": expires_at, "status": status, "session_id": None,
            "created_at": at, "updated_at": at}], ["station_id", "reservation_id"])


def cancelled(engine: Engine, station_id: str, reservation_id: int, at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(update(reservations).where(reservations.c.station_id == station_id,
                                                reservations.c.reservation_id == reservation_id,
                                                reservations.c.status == HOLDING)
                     .values(status="Cancelled", updated_at=at))


def ended_by_station(engine: Engine, station_id: str, reservation_id: int, status: str, at: datetime) -> bool:
    """2.0.1 ReservationStatusUpdate: the station says a reservation Expired or was Removed."""
    with engine.begin() as conn:
        return conn.execute(update(reservations).where(reservations.c.station_id == station_id,
                                                       reservations.c.reservation_id == reservation_id,
                                                       reservations.c.status == HOLDING)
                            .values(status=status, updated_at=at)).rowcount > 0


def holding(conn: Connection, station_id: str, connector_id: int | None, now: datetime):
    """The Accepted, unexpired reservation on this connector or on the whole station (connector 0), if any."""
    connectors = [0] if not connector_id else [0, connector_id]
    return conn.execute(select(reservations).where(
        reservations.c.station_id == station_id, reservations.c.connector_id.in_(connectors),
        reservations.c.status == HOLDING, reservations.c.expires_at > now)
        .order_by(reservations.c.expires_at).limit(1)).first()


def refuses(engine: Engine, station_id: str, connector_id: int, id_tag: str, group_id: str | None,
            reservation_id: int | None, now: datetime) -> bool:
    """Whether a start with this token on this connector takes a connector reserved for someone else: only the
    reserved token, a token of its group, or a start that names the reservation may use it."""
    with engine.connect() as conn:
        held = holding(conn, station_id, connector_id, now)
    if held is None or (reservation_id is not None and reservation_id == held.reservation_id):
        return False
    same_token = token_key(held.id_tag) == token_key(id_tag or "")
    same_group = held.group_id is not None and group_id is not None and token_key(held.group_id) == token_key(
        group_id)
    return not (same_token or same_group)


def used(conn: Connection, station_id: str, reservation_id: int | None, connector_id: int, id_tag: str,
         session_id: int, at: datetime) -> None:
    """A transaction started on the reservation (named by it, or by its token on its connector): it is Used."""
    match = (reservations.c.reservation_id == reservation_id if reservation_id is not None else
             (reservations.c.connector_id.in_([0, connector_id]) & (
                 func.lower(reservations.c.id_tag) == token_key(id_tag or ""))))
    conn.execute(update(reservations).where(reservations.c.station_id == station_id,
                                            reservations.c.status == HOLDING, match)
                 .values(status="Used", session_id=session_id, updated_at=at))


def expire(engine: Engine, now: datetime) -> int:
    """The sweep: Accepted reservations past their expiry become Expired."""
    with engine.begin() as conn:
        return conn.execute(update(reservations).where(reservations.c.status == HOLDING,
                                                       reservations.c.expires_at <= now)
                            .values(status="Expired", updated_at=now)).rowcount


def of_station(engine: Engine, station_id: str, now: datetime, limit: int = 100) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(reservations).where(reservations.c.station_id == station_id)
                            .order_by(reservations.c.created_at.desc(), reservations.c.id.desc()).limit(limit)).all()
    return [_public(row, now) for row in rows]


def find(engine: Engine, station_id: str, reservation_id: int, now: datetime) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(reservations).where(reservations.c.station_id == station_id,
                                                      reservations.c.reservation_id == reservation_id)).first()
    return _public(row, now) if row is not None else None


def of_session(engine: Engine, session_id: int, now: datetime) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(reservations).where(reservations.c.session_id == session_id)).first()
    return _public(row, now) if row is not None else None


def _public(row, now: datetime) -> dict:
    data = dict(row._mapping)
    data.pop("id")
    if data["status"] == HOLDING and data["expires_at"] <= now:
        data["status"] = "Expired"  # the sweep has not been by yet
    return data

