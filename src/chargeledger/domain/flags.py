"""Data-quality flags: a meter that misbehaves produces a named flag, never a silently wrong bill."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FlagCode(StrEnum):
    METER_STOP_BELOW_START = "meter_stop_below_start"
    METER_REGISTER_RESET = "meter_register_reset"
    METER_START_LIFETIME_TOTAL = "meter_start_lifetime_total"
    METER_JUMP = "meter_jump"
    METER_VALUES_WITHOUT_ENERGY = "meter_values_without_energy"
    ENERGY_FROM_PHASES = "energy_from_phases"
    METER_NEGATIVE_VALUE = "meter_negative_value"
    NO_METER_VALUES = "no_meter_values"
    SESSION_SILENT = "session_silent"
    ORPHAN_STOP = "orphan_stop"
    FORCE_CLOSED = "force_closed"
    CLOSED_BY_STATION = "closed_by_station"  # the station showed the session over (reboot, new transaction, status)
    METER_CLOCK_SUSPECT = "meter_clock_suspect"
    TOKEN_NOT_ACCEPTED = "token_not_accepted"  # started with an Invalid, Blocked, Expired or ConcurrentTx token
    DATA_QUALITY = "data_quality"  # an imported session no real charger produces, or a local time DST makes unsure


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


_SEVERITY = {
    FlagCode.METER_STOP_BELOW_START: Severity.ERROR,
    FlagCode.METER_REGISTER_RESET: Severity.WARNING,
    FlagCode.METER_START_LIFETIME_TOTAL: Severity.WARNING,
    FlagCode.METER_JUMP: Severity.ERROR,
    FlagCode.METER_VALUES_WITHOUT_ENERGY: Severity.INFO,
    FlagCode.ENERGY_FROM_PHASES: Severity.INFO,
    FlagCode.METER_NEGATIVE_VALUE: Severity.WARNING,
    FlagCode.NO_METER_VALUES: Severity.INFO,
    FlagCode.SESSION_SILENT: Severity.WARNING,
    FlagCode.ORPHAN_STOP: Severity.WARNING,
    FlagCode.FORCE_CLOSED: Severity.WARNING,
    FlagCode.CLOSED_BY_STATION: Severity.WARNING,
    FlagCode.METER_CLOCK_SUSPECT: Severity.WARNING,
    FlagCode.DATA_QUALITY: Severity.WARNING,
    FlagCode.TOKEN_NOT_ACCEPTED: Severity.WARNING,
}


@dataclass(frozen=True)
class Flag:
    code: FlagCode
    detail: str
    resolved: bool = False
    resolution: str | None = None

    @property
    def severity(self) -> Severity:
        return _SEVERITY[self.code]
