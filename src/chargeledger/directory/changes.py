"""Changes to what the operator publishes (an EVSE's status, a station's equipment, a tariff), told to the adapters
that publish them (live OCPI) inside the transaction that makes the change: a push is queued exactly when the change
commits, and not when it rolls back. The writer does not know who listens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import insert, update
from sqlalchemy.engine import Connection

from ..adapters import installed
from ..storage.tables import evse_states

EVSE_STATUS, LOCATION, TARIFF, TARIFF_WITHDRAWN = "evse_status", "location", "tariff", "tariff_withdrawn"
_OPTIONAL = ("chargeledger.ocpi.publish",)


@dataclass(frozen=True)
class Change:
    kind: str  # evse_status | location | tariff | tariff_withdrawn
    organisation_id: str
    object_id: str  # EVSE-ID, site id, tariff id
    at: datetime


Listener = Callable[[Connection, Change], None]
_listeners: list[Listener] = []
_loaded = False


def listen(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def changed(conn: Connection, change: Change) -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        installed(_OPTIONAL)
    for listener in _listeners:
        listener(conn, change)


def evse_status(conn: Connection, organisation_id: str, evse_id: str, status: str, at: datetime) -> None:
    """The EVSE's status as the charger reported it (OCPI terms), kept for the locations it is published in."""
    done = conn.execute(update(evse_states).where(evse_states.c.evse_id == evse_id, evse_states.c.status != status)
                        .values(status=status, updated_at=at)).rowcount
    if not done:
        exists = conn.execute(evse_states.select().where(evse_states.c.evse_id == evse_id)).first()
        if exists is not None:
            return  # the same status again: nothing changed, nothing to push
        conn.execute(insert(evse_states).values(evse_id=evse_id, status=status, updated_at=at))
    changed(conn, Change(EVSE_STATUS, organisation_id, evse_id, at))


# OCPP connector states -> OCPI EVSE Status (1.6 and 2.0.1 names).
OCPP_TO_OCPI = {"Available": "AVAILABLE", "Preparing": "CHARGING", "Charging": "CHARGING", "SuspendedEV": "CHARGING",
                "SuspendedEVSE": "CHARGING", "Finishing": "CHARGING", "Occupied": "CHARGING", "Reserved": "RESERVED",
                "Unavailable": "INOPERATIVE", "Faulted": "OUTOFORDER"}
