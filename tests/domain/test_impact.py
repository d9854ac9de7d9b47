"""The CO₂ estimate (domain/impact.py): its figure from the stated factors, rounding and empty cases."""

from __future__ import annotations

from decimal import Decimal

from chargeledger.domain.impact import co2_saved_kg


def test_a_dutch_session_avoids_a_fuel_cars_emissions_less_the_grids():
    # 10 kWh drive 10 / 0.18 = 55.6 km: a fuel car emits 120 g/km there (6.667 kg), the Dutch grid 270 g/kWh
    # for the energy (2.7 kg): 3.9667 kg avoided
    assert co2_saved_kg(10_000.0, "NL") == Decimal("3.97")
    assert co2_saved_kg(10_000.0, None) == Decimal("4.17")  # the EU average grid, 250 g/kWh
    assert co2_saved_kg(10_000.4, "NL") == co2_saved_kg(10_000.0, "NL")  # whole Wh, as the reports' kWh


def test_nothing_delivered_is_no_estimate():
    assert co2_saved_kg(None, "NL") is None
    assert co2_saved_kg(0.0, "NL") is None
    assert co2_saved_kg(-5.0, "NL") is None
    assert co2_saved_kg(float("nan"), "NL") is None
    assert co2_saved_kg(0.4, "NL") == Decimal("0.00")
