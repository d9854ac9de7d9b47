"""The operator's registration policy: which BootNotification answer a station gets, and what it may send before
it is Accepted (both OCPP versions).

A station the operator registered is Accepted; one that joined through auto-registration waits as Pending until the
operator approves it (`chargeledger station registration`, `PUT /api/stations/{id}/registration`); a Rejected one
is told to go away. Until Accepted, a station may send only BootNotification, plus (while Pending) the reports we
asked for and the messages we triggered; anything else is answered SecurityError (2.0.1 B02.FR.09, B03.FR.07).
"""

from __future__ import annotations

ACCEPTED, PENDING, REJECTED = "Accepted", "Pending", "Rejected"
STATUSES = (ACCEPTED, PENDING, REJECTED)

# Answers to what we asked while the station is Pending (GetBaseReport, GetReport): always allowed then.
_ASKED_FOR = frozenset({"NotifyReport", "NotifyMonitoringReport"})
# TriggerMessage's requestedMessage names some messages differently from their action.
_TRIGGERED_ACTION = {"SignChargingStationCertificate": "SignCertificate", "SignV2GCertificate": "SignCertificate",
                     "SignCombinedCertificate": "SignCertificate",
                     "DiagnosticsStatusNotification": "DiagnosticsStatusNotification"}


def checked(status: str) -> str:
    if status not in STATUSES:
        raise ValueError(f"registration is one of {', '.join(STATUSES)}, not {status!r}")
    return status


def interval(status: str, heartbeat: int, retry: int) -> int:
    """Accepted: the heartbeat interval; otherwise how long the station waits before it boots again."""
    return heartbeat if status == ACCEPTED else retry


def triggered_action(requested_message: str) -> str:
    return _TRIGGERED_ACTION.get(requested_message, requested_message)


def may_send(status: str, action: str, triggered: set[str]) -> bool:
    """Whether a station in this registration state may send this Call (`triggered`: what we asked it to send)."""
    if status == ACCEPTED or action == "BootNotification":
        return True
    return status == PENDING and (action in _ASKED_FOR or action in triggered)
