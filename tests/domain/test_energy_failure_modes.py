"""Each meter failure mode of PRODUCT.md, with realistic readings, gives the right energy and a named flag."""

from datetime import datetime, timedelta, timezone

from chargeledger.domain.energy import session_energy
from chargeledger.domain.flags import FlagCode
from chargeledger.domain.meter import Measurand, MeterSample, Phase

T0 = datetime(2024, 3, 5, 8, 0, tzinfo=timezone.utc)
E = Measurand.ENERGY_ACTIVE_IMPORT_REGISTER


def at(minutes):
    return T0 + timedelta(minutes=minutes)


def register(values, every=15, phase=Phase.NONE):
    return [MeterSample(at(i * every), E, float(v), phase) for i, v in enumerate(values)]


def codes(result):
    return {f.code for f in result.flags}


def test_clean_session_is_stop_minus_start():
    # An 11 kW AC charge: 2,750 Wh per quarter hour from a register at 1,204,330 Wh.
    samples = register([1204330 + 2750 * i for i in range(5)])
    result = session_energy(samples, 1204330, 1204330 + 11000, at(0), at(60))
    assert result.energy_wh == 11000
    assert codes(result) == set()


def test_stop_reading_below_start_is_flagged_and_samples_used():
    samples = register([52000, 54750, 57500])
    result = session_energy(samples, 52000, 1200, at(0), at(45))
    assert FlagCode.METER_STOP_BELOW_START in codes(result)
    assert result.energy_wh == 5500


def test_stop_below_start_without_samples_bills_nothing():
    result = session_energy([], 52000, 51000, at(0), at(45))
    assert FlagCode.METER_STOP_BELOW_START in codes(result)
    assert result.energy_wh == 0


def test_register_reset_mid_session_counts_on_from_new_value():
    # Firmware reboot at 30 min: register restarts at 0.
    samples = register([80000, 82750, 85500, 300, 3050])
    result = session_energy(samples, 80000, 3050, at(0), at(60))
    assert FlagCode.METER_REGISTER_RESET in codes(result)
    assert result.energy_wh == 5500 + 300 + 2750


def test_rollover_of_32_bit_register():
    samples = register([4294960000, 4294962750, 500, 3250])
    result = session_energy(samples, 4294960000, 3250, at(0), at(45))
    assert FlagCode.METER_REGISTER_RESET in codes(result)
    assert result.energy_wh == 2750 + 500 + 2750


def test_first_reading_is_lifetime_total_after_offline_start():
    # Charger booted offline, sent meterStart 0, then its first reading is the lifetime register.
    samples = register([8734100, 8736850, 8739600])
    result = session_energy(samples, 0, 8739600, at(0), at(30))
    assert FlagCode.METER_START_LIFETIME_TOTAL in codes(result)
    assert result.energy_wh == 5500
    assert result.meter_start_wh == 8734100


def test_messages_without_energy_keep_running_total():
    power_only = [MeterSample(at(5), Measurand.POWER_ACTIVE_IMPORT, 11000.0)]
    result = session_energy(power_only, 1000, 12000, at(0), at(60))
    assert FlagCode.METER_VALUES_WITHOUT_ENERGY in codes(result)
    assert result.energy_wh == 11000


def test_values_only_per_phase_are_summed():
    samples = [s for phase in (Phase.L1, Phase.L2, Phase.L3)
               for s in register([10000 + 900 * i for i in range(3)], phase=phase)]
    result = session_energy(samples, None, None, at(0), at(30))
    assert FlagCode.ENERGY_FROM_PHASES in codes(result)
    assert result.energy_wh == 3 * 1800


def test_negative_and_minus_one_values_are_ignored():
    samples = register([20000, -1, 22750, 25500])
    result = session_energy(samples, 20000, 25500, at(0), at(45))
    assert FlagCode.METER_NEGATIVE_VALUE in codes(result)
    assert result.energy_wh == 5500


def test_same_meter_values_resent_count_once():
    samples = register([1000, 3750, 6500]) + register([1000, 3750, 6500])
    result = session_energy(samples, 1000, 6500, at(0), at(30))
    assert result.energy_wh == 5500
    assert codes(result) == set()


def test_impossible_jump_is_not_billed():
    samples = register([1000, 3750, 9_003_750, 9_006_500])
    result = session_energy(samples, 1000, None, at(0), at(45))
    assert FlagCode.METER_JUMP in codes(result)
    assert result.energy_wh == 2750 + 2750


def test_flag_texts_write_readings_in_plain_digits():
    # a lifetime register of 25.2 MWh was written "2.5217e+07 Wh" in the flag an operator reads (issue 16)
    result = session_energy([], 25217000, 25216000, at(0), at(45))
    text = " ".join(f.detail for f in result.flags)
    assert "25,216,000 Wh is below meter start 25,217,000 Wh" in text
    assert "e+" not in text
