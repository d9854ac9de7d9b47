"""charging_period_segmentation cases (another calculator's periods) through price_usage.

Mapping to our model: meter samples become cumulative Wh from the session start (a falling meter is clamped here,
as the session projection would, case 07); power/current samples hold until the next one; a sample interval is
charging when energy rises. "24:00" in a fixture is OCPI's "00:00" (end of day).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from chargeledger.pricing import Tariff, Usage, UsagePoint, ocpi_json, price_usage
from chargeledger.pricing.tariff_checks import parse_utc
from tests.pricing.helpers import DATA

CASES = sorted((DATA / "charging_period_segmentation").glob("0*"))
RENAME = {"min_current_a": "min_current", "max_current_a": "max_current", "min_power_kw": "min_power",
          "max_power_kw": "max_power"}


def _tariff(raw: dict) -> Tariff:
    elements = []
    for e in raw["elements"]:
        restrictions = {RENAME.get(k, k): ("00:00" if v == "24:00" else v) for k, v in e.get("restrictions", {}).items()}
        element = {"price_components": [{"type": c["type"], "price": 1, "step_size": 1} for c in e["price_components"]]}
        if restrictions:
            element["restrictions"] = restrictions
        elements.append(element)
    return Tariff.from_ocpi(ocpi_json.loads(json.dumps({"id": "S", "currency": "EUR", "elements": elements})))


def _usage(f: dict) -> Usage:
    meter = [(parse_utc(m["at"]), Decimal(str(m["total_kwh"]))) for m in f["meter_samples"]]
    power = [(parse_utc(p["at"]), Decimal(str(p["power_kw"])) * 1000) for p in f.get("power_samples", [])]
    current = [(parse_utc(c["at"]), Decimal(str(c["current_a"]))) for c in f.get("current_samples", [])]
    times = sorted({t for t, _ in meter} | {t for t, _ in power} | {t for t, _ in current})

    def held(series, t):
        values = [v for at, v in series if at <= t]
        return values[-1] if values else None

    def meter_at(t):  # linear between meter samples, clamped so it never falls
        best = Decimal(0)
        for (t0, e0), (t1, e1) in zip(meter, meter[1:]):
            if t0 <= t <= t1 and t1 > t0:
                best = e0 + (e1 - e0) * Decimal((t - t0).total_seconds()) / Decimal((t1 - t0).total_seconds())
        return best

    samples, running, previous = [], Decimal(0), None
    for i, t in enumerate(times):
        reading = meter_at(t)
        if previous is not None:
            running += max(reading - previous, Decimal(0))
        previous = reading
        nxt = meter_at(times[i + 1]) if i + 1 < len(times) else reading
        samples.append(UsagePoint(t, running * 1000, held(power, t), held(current, t), nxt > reading))
    return Usage(parse_utc(f["start_utc"]), parse_utc(f["end_utc"]), tuple(samples))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_segmentation_case_periods_and_volumes(case):
    fixture = json.loads((case / "fixtures.json").read_text())
    expected = json.loads((case / "expected.json").read_text())["periods"]
    priced = price_usage(_tariff(fixture["tariff"]), _usage(fixture), fixture["timezone"])
    got = []
    for p in priced.periods:
        dims = {"ENERGY": p.energy, "TIME": p.time, "PARKING_TIME": p.parking_time}
        # volumes compared as floats only because the oracle file stores floats (no money here)
        got.append((p.start, {k: round(float(v), 6) for k, v in dims.items() if v}))
    want = [(parse_utc(p["start"]), {d["type"]: round(d["volume"], 6) for d in p["dimensions"]}) for p in expected]
    assert got == want
