"""Meter samples: energy register, power, current, voltage, state of charge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum


class Measurand(IntEnum):
    """Stored as a small integer so tens of millions of samples stay compact."""

    ENERGY_ACTIVE_IMPORT_REGISTER = 1  # Wh
    POWER_ACTIVE_IMPORT = 2            # W
    CURRENT_IMPORT = 3                 # A
    VOLTAGE = 4                        # V
    SOC = 5                            # %
    CURRENT_OFFERED = 6
    POWER_OFFERED = 7
    ENERGY_ACTIVE_EXPORT_REGISTER = 8

    @classmethod
    def from_ocpp(cls, name: str | None) -> "Measurand | None":
        return _OCPP_NAMES.get(name or "Energy.Active.Import.Register")


_OCPP_NAMES = {
    "Energy.Active.Import.Register": Measurand.ENERGY_ACTIVE_IMPORT_REGISTER,
    "Power.Active.Import": Measurand.POWER_ACTIVE_IMPORT,
    "Current.Import": Measurand.CURRENT_IMPORT,
    "Voltage": Measurand.VOLTAGE,
    "SoC": Measurand.SOC,
    "Current.Offered": Measurand.CURRENT_OFFERED,
    "Power.Offered": Measurand.POWER_OFFERED,
    "Energy.Active.Export.Register": Measurand.ENERGY_ACTIVE_EXPORT_REGISTER,
}


class Phase(IntEnum):
    NONE = 0
    L1 = 1
    L2 = 2
    L3 = 3
    N = 4
    L1_N = 5
    L2_N = 6
    L3_N = 7
    L1_L2 = 8
    L2_L3 = 9
    L3_L1 = 10

    @classmethod
    def from_ocpp(cls, name: str | None) -> "Phase":
        return cls[name.replace("-", "_")] if name else cls.NONE


class MeterLocation(IntEnum):
    OUTLET = 0
    INLET = 1
    EV = 2
    BODY = 3
    CABLE = 4

    @classmethod
    def from_ocpp(cls, name: str | None) -> "MeterLocation":
        return cls[name.upper()] if name else cls.OUTLET


# Multipliers that bring OCPP units to the base unit stored (Wh, W, A, V, %).
UNIT_SCALE = {"Wh": 1.0, "kWh": 1000.0, "W": 1.0, "kW": 1000.0, "A": 1.0, "V": 1.0, "Percent": 1.0,
              "varh": 1.0, "kvarh": 1000.0, "var": 1.0, "kvar": 1000.0, "Celsius": 1.0}


@dataclass(frozen=True, slots=True)
class MeterSample:
    """A measurement, not money: a float holds a 10 GWh register to the milliwatt-hour."""

    time: datetime
    measurand: Measurand
    value: float
    phase: Phase = Phase.NONE
    location: MeterLocation = MeterLocation.OUTLET
