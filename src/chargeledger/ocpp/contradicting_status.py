"""Connector statuses that contradict a session still recorded as running, per protocol version, as data.

A status the station reported for the session's connector (1.6) or EVSE (2.0.1), later than the session's last
fact, still the connector's status after the grace period, and with no stop or reading since: the station shows the
transaction is over although its stop never arrived. The grace lets a stop that was sent after the status (1.6
chargers often report the status first) arrive before anything is closed. The vehicle-gone rule (1.6 Available,
2.0.1 EVDeparted) is in housekeeping.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from ..domain.projection import ACTIVE_STATUSES
from ..ledger.store import Ledger
from ..storage.tables import sessions, stations
from . import connector_status

# status -> why it contradicts a running transaction (a charger takes a connector out of service, Unavailable, only
# once its transaction ended: 1.6 ChangeAvailability answers Scheduled meanwhile; 2.0.1 Available means no cable)
RULES: dict[str, dict[str, str]] = {
    "1.6": {
        "Faulted": "the connector reported a fault that ended charging",
        "Unavailable": "the connector was reported out of service",
    },
    "2.0.1": {
        "Available": "the connector reported no vehicle connected",
        "Unavailable": "the connector was reported out of service",
        "Faulted": "the connector reported a fault that ended charging",
    },
}


@dataclass(frozen=True)
class Contradiction:
    session_id: int
    station_id: str
    status: str
    error_code: str | None
    reported_at: datetime
    last_fact_at: datetime
    why: str

    @property
    def evidence(self) -> str:
        error = f", {self.error_code}" if self.error_code and self.error_code != "NoError" else ""
        return f"StatusNotification {self.status}{error} at {self.reported_at.isoformat()}"


def contradicted(engine: Engine, grace: timedelta, now: datetime, skip: set[int] = frozenset()) -> list[Contradiction]:
    """Running OCPP sessions, quiet for longer than `grace`, whose connector's current status contradicts them."""
    with engine.connect() as conn:
        quiet = conn.execute(select(sessions.c.id, sessions.c.station_id, sessions.c.connector_id,
                                    stations.c.ocpp_version)
                             .join(stations, stations.c.id == sessions.c.station_id)
                             .where(sessions.c.external_key.like("ocpp:%"),
                                    sessions.c.status.in_([s.value for s in ACTIVE_STATUSES]),
                                    sessions.c.last_event_at < now - grace)
                             .order_by(sessions.c.id).limit(1000)).all()
    ledger, held, found = Ledger(engine), {}, []
    for session_id, station_id, connector, version in quiet:
        if session_id in skip:
            continue
        if station_id not in held:
            held[station_id] = connector_status.of_station(engine, station_id)
        reported = held[station_id].get(str(connector))
        why = RULES.get(version, {}).get((reported or {}).get("status"))
        if why is None:
            continue
        at = datetime.fromisoformat(reported["at"])
        last = ledger.project(session_id, now=now).last_event_at  # the stored row may lag behind its facts
        if at > now - grace or (last is not None and at < last):
            continue  # too recent for its stop to have come, or a reading came after it: the session went on
        found.append(Contradiction(session_id, station_id, reported["status"], reported.get("error_code"), at,
                                   last or at, why))
    return found
