"""OCPI commands (we are the Receiver) as OCPP commands to the charger.

The partner gets a CommandResponse at once (ACCEPTED with a timeout, or why not); the charger's answer comes later
as a CommandResult POSTed to the partner's response_url through the push queue, so it is retried while the
partner is down. Targets are resolved within the partner's organisation only.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, func, select

from ..ocpp import commands as ocpp_commands
from ..storage.tables import evses, sessions, sites, stations
from . import partners as store
from . import queue, tokens
from .status import not_found
from .objects.commands import CancelReservation, ReserveNow, StartSession, StopSession, UnlockConnector

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30


class Refused(Exception):
    """The command cannot be sent: CommandResponse `result` (REJECTED, UNKNOWN_SESSION...) and why."""

    def __init__(self, result: str, message: str):
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class Target:
    station_id: str
    version: str
    evse_number: int  # OCPP 1.6 connector id / 2.0.1 EVSE id
    connector_id: int = 1


def target(engine: Engine, partner: store.Partner, location_id: str, evse_uid: str | None,
           connector_id: str | None = None) -> Target:
    query = (select(stations.c.id, stations.c.ocpp_version, evses.c.ocpp_evse_id, evses.c.evse_id)
             .join(sites, sites.c.id == stations.c.site_id).join(evses, evses.c.station_id == stations.c.id)
             .where(func.upper(sites.c.id) == location_id.upper(), sites.c.organisation_id == partner.organisation_id)
             .order_by(evses.c.evse_id))
    # location_id and evse_uid are CiString (commands module, 2.2.1): an eMSP may write ours in lower case, as
    # extrawest-ocpi does; one organisation's sites and EVSEs are few, so comparing upper() costs nothing
    if evse_uid:
        query = query.where(func.upper(evses.c.evse_id) == evse_uid.upper())
    with engine.connect() as conn:
        row = conn.execute(query.limit(1)).first()
    if row is None:  # another organisation's location reads exactly like one that does not exist
        raise not_found("location or EVSE")
    return Target(row.id, row.ocpp_version, row.ocpp_evse_id, int(connector_id) if connector_id and
                  connector_id.isdigit() else 1)


def reservation_number(partner: store.Partner, reservation_id: str) -> int:
    """OCPP reservation ids are integers; an OCPI one is text: the same text of the same partner gives the same
    number, so CANCEL_RESERVATION finds what RESERVE_NOW made."""
    if reservation_id.isdigit() and int(reservation_id) < 2**31:
        return int(reservation_id)
    return zlib.crc32(f"{partner.id}:{reservation_id}".encode()) & 0x7FFFFFFF


def _ocpp_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan(engine: Engine, partner: store.Partner, command: str, body: Any) -> tuple[Target | None, str, dict]:
    """The OCPP command (station, action, payload) for an OCPI command; STOP_SESSION returns no target but the
    session, which the gateway stops its own way."""
    if isinstance(body, StartSession):
        t = target(engine, partner, body.location_id, body.evse_uid, body.connector_id)
        with engine.begin() as conn:  # the session it starts belongs to this partner through its token
            tokens.put(conn, partner.id, body.token)
        if t.version == "1.6":
            return t, "RemoteStartTransaction", {"connectorId": t.evse_number, "idTag": body.token.uid}
        return t, "RequestStartTransaction", {"evseId": t.evse_number, "remoteStartId": _remote_id(body),
                                              "idToken": {"idToken": body.token.uid, "type": "Central"}}
    if isinstance(body, ReserveNow):
        t = target(engine, partner, body.location_id, body.evse_uid)
        with engine.begin() as conn:
            tokens.put(conn, partner.id, body.token)
        number = reservation_number(partner, body.reservation_id)
        if t.version == "1.6":
            return t, "ReserveNow", {"connectorId": t.evse_number, "expiryDate": _ocpp_time(body.expiry_date),
                                     "idTag": body.token.uid, "reservationId": number}
        return t, "ReserveNow", {"id": number, "expiryDateTime": _ocpp_time(body.expiry_date),
                                 "idToken": {"idToken": body.token.uid, "type": "Central"}, "evseId": t.evse_number}
    if isinstance(body, UnlockConnector):
        t = target(engine, partner, body.location_id, body.evse_uid, body.connector_id)
        if t.version == "1.6":
            return t, "UnlockConnector", {"connectorId": t.evse_number}
        return t, "UnlockConnector", {"evseId": t.evse_number, "connectorId": t.connector_id}
    raise Refused("NOT_SUPPORTED", f"{command} is not supported")


def _remote_id(body: StartSession) -> int:
    return zlib.crc32(f"{body.token.uid}:{body.response_url}".encode()) & 0x7FFFFFFF


def stop_target(engine: Engine, partner: store.Partner, body: StopSession,
                party: tuple[str, str] | None = None) -> dict:
    """The session to stop: one of the partner's organisation, started with one of its tokens (through a hub:
    with a token of the `party` that asks)."""
    from .sessions import owner_of
    if not body.session_id.isdigit():
        raise Refused("UNKNOWN_SESSION", "unknown session")
    with engine.connect() as conn:
        row = conn.execute(select(sessions.c.id, sessions.c.station_id, sessions.c.transaction_id)
                           .where(sessions.c.id == int(body.session_id),
                                  sessions.c.organisation_id == partner.organisation_id)).first()
        owner = owner_of(conn, row.id) if row else None
    if row is None or owner is None or owner.partner.id != partner.id or party is not None and owner.party != party:
        raise Refused("UNKNOWN_SESSION", "unknown session")
    return {"id": row.id, "station_id": row.station_id, "transaction_id": row.transaction_id}


def cancel_sends(engine: Engine, partner: store.Partner, body: CancelReservation) -> list[tuple[Target, str, dict]]:
    """CancelReservation to each station of the partner's organisation (OCPI does not say where the reservation
    is): the one that holds it accepts, the others reject or are offline."""
    with engine.connect() as conn:
        rows = conn.execute(select(stations.c.id, stations.c.ocpp_version)
                            .where(stations.c.organisation_id == partner.organisation_id)
                            .order_by(stations.c.id)).all()
    number = reservation_number(partner, body.reservation_id)
    return [(Target(r.id, r.ocpp_version, 0), "CancelReservation", {"reservationId": number}) for r in rows]


# -- the result, later -------------------------------------------------------------------------------------------
_RESULTS = {"Accepted": "ACCEPTED", "Rejected": "REJECTED", "Occupied": "EVSE_OCCUPIED", "Faulted": "EVSE_INOPERATIVE",
            "Unavailable": "EVSE_INOPERATIVE", "Unlocked": "ACCEPTED", "UnlockFailed": "FAILED",
            "NotSupported": "NOT_SUPPORTED", "OngoingAuthorizedTransaction": "REJECTED", "UnknownConnector": "FAILED"}


def result_of(answer: dict) -> str:
    return _RESULTS.get(str(answer.get("status")), "FAILED")


def send_result(engine: Engine, partner: store.Partner, command: str, response_url: str, result: str,
                message: str | None = None, to_party: tuple[str, str] | None = None) -> None:
    body: dict[str, Any] = {"result": result}
    if message:
        body["message"] = [{"language": "en", "text": message[:512]}]
    with engine.begin() as conn:
        queue.enqueue(conn, partner.id, "commands", command, "POST", "", body, url=response_url, to_party=to_party)
    queue.wake(engine)


async def run(engine: Engine, gateway, partner: store.Partner, command: str, response_url: str,
              sends: list[tuple[Target | None, str, dict]], stop: dict | None = None,
              to_party: tuple[str, str] | None = None) -> None:
    """Send to the charger(s); the first accepted answer wins. Any failure becomes the CommandResult it means,
    sent to the party that asked (through its hub: `to_party`)."""
    result, message, answered = "FAILED", None, False
    try:
        if stop is not None:
            await gateway.stop_session(stop, f"OCPI partner {partner.name}")
            result = "ACCEPTED"
        for t, action, payload in sends:
            try:
                answer = await gateway.command(t.station_id, action, payload, "roaming", f"OCPI partner {partner.name}")
            except ocpp_commands.StationOffline as exc:
                if not answered:  # a charger's own answer says more than another one being offline
                    result, message = "FAILED", str(exc)
                continue
            result, message, answered = result_of(answer), None, True
            if result == "ACCEPTED":
                break
    except ocpp_commands.CommandTimeout as exc:
        result, message = "TIMEOUT", str(exc)
    except ocpp_commands.CommandRejected as exc:
        result, message = "REJECTED", str(exc)
    except ocpp_commands.CommandFailed as exc:
        result, message = "FAILED", str(exc)
    except Exception as exc:  # noqa: BLE001 - the partner must hear back whatever happened
        log.exception("OCPI %s for partner %s", command, partner.id)
        result, message = "FAILED", type(exc).__name__
    await asyncio.to_thread(send_result, engine, partner, command, response_url, result, message, to_party)
