"""OCPI 2.2.1 commands module objects: the body of each command a partner sends, by command type."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from ..models import OcpiModel, ci_string, string
from .tokens import Token


class CommandType(str, Enum):
    CANCEL_RESERVATION = "CANCEL_RESERVATION"
    RESERVE_NOW = "RESERVE_NOW"
    START_SESSION = "START_SESSION"
    STOP_SESSION = "STOP_SESSION"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"


class StartSession(OcpiModel):
    response_url: string(255)
    token: Token
    location_id: ci_string(36)
    evse_uid: ci_string(36) | None = None
    connector_id: ci_string(36) | None = None
    authorization_reference: ci_string(36) | None = None


class StopSession(OcpiModel):
    response_url: string(255)
    session_id: ci_string(36)


class ReserveNow(OcpiModel):
    response_url: string(255)
    token: Token
    expiry_date: datetime
    reservation_id: ci_string(36)
    location_id: ci_string(36)
    evse_uid: ci_string(36) | None = None
    authorization_reference: ci_string(36) | None = None


class CancelReservation(OcpiModel):
    response_url: string(255)
    reservation_id: ci_string(36)


class UnlockConnector(OcpiModel):
    response_url: string(255)
    location_id: ci_string(36)
    evse_uid: ci_string(36)
    connector_id: ci_string(36)


COMMAND_BODIES = {"START_SESSION": StartSession, "STOP_SESSION": StopSession, "RESERVE_NOW": ReserveNow,
                  "CANCEL_RESERVATION": CancelReservation, "UNLOCK_CONNECTOR": UnlockConnector}
