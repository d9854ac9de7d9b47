"""What can happen to a session. Events are facts, stored as they arrived and never changed.

Commands are verbs (`StopSession`); events are in the past tense (`TransactionStopped`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventSource(StrEnum):
    OCPP = "ocpp"
    OPERATOR = "operator"
    ROAMING = "roaming"
    IMPORT = "import"
    SYSTEM = "system"


class EventKind(StrEnum):
    SESSION_CREATED = "session_created"          # station, evse, connector known
    PLUGGED_IN = "plugged_in"
    AUTHORIZED = "authorized"                    # id_token, token_type, contract_id
    START_REQUESTED = "start_requested"          # remote/app start asked for
    TRANSACTION_STARTED = "transaction_started"  # transaction_id, meter_start_wh, start_source(_raw), id_token
    CHARGING_STATE_CHANGED = "charging_state_changed"  # state: ChargingState
    STOP_REQUESTED = "stop_requested"            # by, reason
    STOP_REJECTED = "stop_rejected"              # reason
    TRANSACTION_STOPPED = "transaction_stopped"  # meter_stop_wh, reason
    UNPLUGGED = "unplugged"
    SESSION_RECORDED = "session_recorded"        # a whole session from history or a partner: start, stop, energy_wh…
    ROAMING_ATTRIBUTED = "roaming_attributed"    # network, operator_id, provider_id, roaming_cdr_id, partner_transaction_id
    FAILED = "failed"                            # reason
    FORCE_CLOSED = "force_closed"                # by, why
    SILENCE_FLAGGED = "silence_flagged"          # last_seen
    SETTLED = "settled"
    LATE_FACTS = "late_facts"                    # a fact arrived after settlement: the session is priced again
    MARKED_SIMULATED = "marked_simulated"
    CUSTOM_FIELDS_SET = "custom_fields_set"      # fields: dict
    FLAG_RESOLVED = "flag_resolved"              # flag, reason, by
    DRIVER_RATED = "driver_rated"                # stars, comment
    ODOMETER_READ = "odometer_read"              # km, source
    VEHICLE_SNAPSHOT = "vehicle_snapshot"        # at: start|stop, latitude, longitude, soc
    # Money events belong to pricing/settlement; the ledger stores them like any other fact.
    TARIFF_FROZEN = "tariff_frozen"
    PRICED = "priced"
    PAYMENT_RECORDED = "payment_recorded"
    REFUND_RECORDED = "refund_recorded"
    PAYMENT_ADJUSTED = "payment_adjusted"        # a re-priced session's difference: extra capture, refund or new amount due


class ChargingState(StrEnum):
    CHARGING = "charging"
    SUSPENDED_EV = "suspended_ev"
    SUSPENDED_EVSE = "suspended_evse"
    IDLE = "idle"  # EV connected, not requesting power (2.0.1 EVConnected / Idle)


@dataclass(frozen=True)
class SessionEvent:
    kind: EventKind
    occurred_at: datetime  # UTC, when it happened at the charger or partner
    source: EventSource
    payload: dict[str, Any] = field(default_factory=dict)
    recorded_at: datetime | None = None  # UTC, when the ledger stored it
    seq: int = 0  # order within the session, assigned by storage

    def get(self, key: str, default: Any = None) -> Any:
        return self.payload.get(key, default)

    @property
    def typed(self):
        """The payload as its kind's class (domain/typed_events.py), upcast from whatever version it was stored in."""
        from .typed_events import typed

        return typed(self.kind, self.payload)
