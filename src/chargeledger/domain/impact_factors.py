"""Configurable defaults for the impact estimate, each with its source written beside it.

These are rounded published figures, meant as defaults: an operator sets its own with the environment variable
CHARGELEDGER_IMPACT_FACTORS pointing to a JSON file of the same shape (any key left out keeps its default).
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from functools import lru_cache

DEFAULTS = {
    # Grid carbon intensity, g CO2 per kWh generated (rounded).
    "grid_g_per_kwh": {
        "NL": "270", "DE": "380", "FR": "55", "BE": "130", "NO": "10", "GB": "180", "US": "370", "*": "250",
    },
    "grid_source": "EEA indicator 'Greenhouse gas emission intensity of electricity generation' (EU members, "
                   "2022, rounded); UK DESNZ conversion factors 2023; US EPA eGRID 2022 national average; "
                   "'*' is the EU-27 average",
    # A comparable fossil-fuel car.
    "fuel_car_g_per_km": "120",
    "fuel_car_source": "EEA monitoring of CO2 emissions from new passenger cars (fleet average, WLTP, rounded up "
                       "for real-world driving)",
    "fuel_litres_per_100km": "6.5",
    "fuel_price_per_litre": {"EUR": "1.85", "GBP": "1.50", "USD": "0.95", "NOK": "21.00", "*": "1.85"},
    "fuel_source": "European Commission Weekly Oil Bulletin (Euro-super 95, 2024, rounded); US EIA regular "
                   "gasoline 2024 per litre; UK DESNZ road fuel prices 2024",
    "ev_kwh_per_km": "0.18",
    "ev_source": "typical mid-size EV, real-world consumption (EV Database average, rounded)",
    "electricity_price_per_kwh": {"EUR": "0.40", "GBP": "0.30", "USD": "0.17", "NOK": "3.00", "*": "0.40"},
    "electricity_source": "the session's own price per kWh when priced; otherwise this default (Eurostat household "
                          "electricity prices 2024, rounded)",
}


@lru_cache(maxsize=1)
def factors() -> dict:
    merged = json.loads(json.dumps(DEFAULTS))
    path = os.environ.get("CHARGELEDGER_IMPACT_FACTORS")
    if path:
        with open(path, encoding="utf-8") as handle:
            merged.update(json.load(handle))
    return merged


def pick(table: dict | str, key: str | None) -> Decimal:
    if isinstance(table, (str, int, float)):
        return Decimal(str(table))
    return Decimal(str(table.get(key or "*", table["*"])))
