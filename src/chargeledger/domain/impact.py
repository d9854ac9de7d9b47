"""The CO₂ a session avoided: a comparable fuel car's emissions for the distance its energy drives, less the grid's
emissions for that energy. Factors and their sources: impact_factors.py.

Computed exactly (integers, no rounding until the end) from the energy in whole Wh as reports show it, and
rounded half away from zero to 0.01 kg, so the statement's column, its DuckDB SQL (reports/cell_sql.py) and
the session page give the same figure for a session.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from .impact_factors import factors, pick

CENTS_OF_KG = 100


def _whole_wh(energy_wh: float) -> int:
    return round(energy_wh)  # half to even, as the reports' kWh (cl_kwh in reports/cell_sql.py)


def hundredths_per_wh(country: str | None) -> Fraction:
    """Hundredths of a kg avoided per Wh, for a site in `country` (None: the default factors)."""
    f = factors()
    ev_kwh_per_km = Fraction(pick(f["ev_kwh_per_km"], None))
    fuel_g_per_km = Fraction(pick(f["fuel_car_g_per_km"], None))
    grid_g_per_kwh = Fraction(pick(f["grid_g_per_kwh"], country))
    # g per kWh avoided = fuel g/km / (kWh/km) - grid g/kWh; per Wh in kg: / 1000 / 1000; in hundredths: * 100
    return (fuel_g_per_km / ev_kwh_per_km - grid_g_per_kwh) * CENTS_OF_KG / 1_000_000


def countries() -> list[str]:
    """The countries with a grid factor of their own (the others take the default)."""
    table = factors()["grid_g_per_kwh"]
    return [key for key in table if key != "*"] if isinstance(table, dict) else []


def _rounded(hundredths: Fraction) -> int:
    """Half away from zero, as Decimal's ROUND_HALF_UP."""
    whole = (abs(hundredths.numerator) * 2 + hundredths.denominator) // (2 * hundredths.denominator)
    return -whole if hundredths < 0 else whole


def co2_saved_kg(energy_wh: float | None, country: str | None) -> Decimal | None:
    """kg CO₂e avoided, to 0.01; None without energy delivered."""
    if energy_wh is None or not math.isfinite(energy_wh) or energy_wh <= 0:  # none, or nothing delivered
        return None
    return Decimal(_rounded(_whole_wh(energy_wh) * hundredths_per_wh(country))).scaleb(-2)
