"""Impact estimate of one session: CO2 avoided vs a fuel car, CO2 emitted by the grid, money saved vs fuel."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from ..domain.impact import co2_saved_kg
from ..domain.impact_factors import factors, pick

_KG = Decimal("0.01")


def impact(energy_wh: float, country: str | None, currency: str, price_per_kwh: Decimal | None) -> dict | None:
    if not energy_wh or energy_wh <= 0:
        return None
    f = factors()
    kwh = Decimal(str(energy_wh)) / 1000
    km = kwh / pick(f["ev_kwh_per_km"], None)
    grid_kg = kwh * pick(f["grid_g_per_kwh"], country) / 1000
    fuel_cost = km * pick(f["fuel_litres_per_100km"], None) / 100 * pick(f["fuel_price_per_litre"], currency)
    electricity = price_per_kwh if price_per_kwh is not None else pick(f["electricity_price_per_kwh"], currency)
    saved = fuel_cost - kwh * electricity
    return {
        "km": km.quantize(Decimal("0.1"), ROUND_HALF_UP),
        "co2_saved_kg": co2_saved_kg(energy_wh, country),  # as the statement report shows it
        "co2_emitted_kg": grid_kg.quantize(_KG, ROUND_HALF_UP),
        "money_saved": saved.quantize(_KG, ROUND_HALF_UP),
        "currency": currency,
        "factors": {
            "grid": f"{pick(f['grid_g_per_kwh'], country)} g CO₂/kWh ({country or 'default'}): {f['grid_source']}",
            "fuel_car": f"{f['fuel_car_g_per_km']} g CO₂/km: {f['fuel_car_source']}",
            "fuel": (f"{f['fuel_litres_per_100km']} l/100 km at {pick(f['fuel_price_per_litre'], currency)} "
                     f"{currency}/l: {f['fuel_source']}"),
            "ev": f"{f['ev_kwh_per_km']} kWh/km: {f['ev_source']}",
            "electricity": f"{electricity} {currency}/kWh: {f['electricity_source']}",
        },
    }
