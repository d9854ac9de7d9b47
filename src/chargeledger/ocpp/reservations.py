"""Reservations, for both OCPP versions: what we asked a station to reserve (ReserveNow) and what became of it.

Every ReserveNow the station answered is recorded from the message itself, whoever built it (the reservation route
or an operator's own payload through the generic command route), so there is one way in. A reservation ends when it
is cancelled (CancelReservation accepted), used (a transaction started with its id), or reported Expired/Removed by
the station; an Accepted one past its expiry reads as Expired even if the station never said so."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select, update
from sqlalchemy.engine import Connection

from ..storage.tables import reservations
from ..storage.upsert import upsert
from .meter_values import parse_time

ACTIVE, REQUESTED = "Accepted", "Requested"


def next_id(engine: Engine, station_id: str) -> int:
    with engine.connect() as conn:
        return (conn.execute(select(func.max(reservations.c.reservation_id))
                             .where(reservations.c.station_id == station_id)).scalar() or 0) + 1


def _asked(version: str, request: dict) -> dict:
    """The reservation a ReserveNow (library snake_case) asks for, in either version's words."""
    if version == "1.6":
        return {"reservation_id": request["reservation_id"], "evse": request.get("connector_id") or 0,
                "id_token": request["id_tag"], "token_type": "ISO14443", "group_id": request.get("parent_id_tag"),
                "expires_at": parse_time(request["expiry_date"])}
    return {"reservation_id": request["id"], "evse": request.get("evse_id") or 0,
            "id_token": request["id_token"]["id_token"], "token_type": request["id_token"].get("type"),
            "group_id": (request.get("group_id_token") or {}).get("id_token"),
            "expires_at": parse_time(request["expiry_date_time"])}


def reserved(engine: Engine, station_id: str, organisation_id: str, version: str, request: dict, status: str,
             by: str | None, at: datetime) -> None:
    """Requested as we send a ReserveNow; then the station's answer: Accepted, or why not (Occupied, Faulted,
    Rejected, Unavailable). A reservation the transaction already used (before the answer came in) stays Used."""
    row = {**_asked(version, request), "station_id": station_id, "organisation_id": organisation_id,
           "status": status, "session_id": None, "requested_by": by, "created_at": at, "updated_at": at}
    with engine.begin() as conn:
        if status != REQUESTED:
            before = conn.execute(select(reservations).where(
                reservations.c.station_id == station_id,
                reservations.c.reservation_id == row["reservation_id"])).mappings().first()
            if before is not None and before["status"] == "Used":
                return
            if before is not None:
                row = {**row, "created_at": before["created_at"]}
        upsert(conn, reservations, [row], ["station_id", "reservation_id"])


def ended(engine: Engine, station_id: str, reservation_id: int, status: str, at: datetime) -> bool:
    """Cancelled by us, or Expired/Removed as the station reports (ReservationStatusUpdate)."""
    with engine.begin() as conn:
        return conn.execute(update(reservations).where(
            reservations.c.station_id == station_id, reservations.c.reservation_id == reservation_id)
            .values(status=status, updated_at=at)).rowcount > 0


def used(conn: Connection, station_id: str, reservation_id: int | None, session_id: int, at: datetime) -> None:
    """A transaction started with this reservation: it has done its work (inside the transaction's own write)."""
    if reservation_id is None:
        return
    conn.execute(update(reservations).where(reservations.c.station_id == station_id,
                                            reservations.c.reservation_id == reservation_id)
                 .values(status="Used", session_id=session_id, updated_at=at))


def effective(row: dict, now: datetime) -> dict:
    expired = row["status"] == ACTIVE and row["expires_at"] <= now
    return {**row, "status": "Expired" if expired else row["status"]}


def listing(engine: Engine, station_id: str, now: datetime, limit: int = 200) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(reservations).where(reservations.c.station_id == station_id)
                            .order_by(reservations.c.reservation_id.desc()).limit(limit)).mappings().all()
    return [effective(dict(row), now) for row in rows]


def of_session(engine: Engine, session_id: int, now: datetime) -> dict | None:
    """The reservation a session used (the Reservation card of the session page)."""
    with engine.connect() as conn:
        row = conn.execute(select(reservations).where(reservations.c.session_id == session_id)).mappings().first()
    return effective(dict(row), now) if row else None


def message(version: str, reservation_id: int, id_token: str, token_type: str, expires_at: datetime,
            evse: int | None, group_id: str | None) -> dict:
    """The ReserveNow payload (camelCase, as the command route takes it) for one protocol version."""
    expiry = expires_at.isoformat().replace("+00:00", "Z")
    if version == "1.6":
        payload = {"connectorId": evse or 0, "expiryDate": expiry, "idTag": id_token, "reservationId": reservation_id}
        return {**payload, **({"parentIdTag": group_id} if group_id else {})}
    payload = {"id": reservation_id, "expiryDateTime": expiry, "idToken": {"idToken": id_token, "type": token_type}}
    if evse:
        payload["evseId"] = evse
    if group_id:
        payload["groupIdToken"] = {"idToken": group_id, "type": "Central"}
    return payload
