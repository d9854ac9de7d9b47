"""Sessions priced per second on one core: (a) energy-only CDRs, (b) ChargeLedger usages under a tariff with
time-of-day windows, an idle fee after a grace period, step sizes and min/max price (about 10 periods each).

    PYTHONPATH=src python bench/pricing.py [--max N]

Sessions are generated in chunks of 1,000 outside the timed part (memory stays flat); the timed part prices a chunk
and reads each session's totals. CPU time of this process (time.process_time) is the headline, because other
processes load the machine; wall time of the same calls is printed beside it, with the load average. Each size
starts from a freshly compiled tariff (cold caches). "(b) + periods" also builds every period and line object.

Per-session cost does not grow with the batch: no cache grows past the tariff's size (about 370 local days, a few
bucket answers), nothing is kept between sessions, and cyclic GC hardly runs because every session's objects are
freed by reference counting (so no gc.freeze() is needed). The 1k batch pays the cold day-calendar builds; wall
rates move with the machine's load, which is why the CPU ratio is the one to read.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from itertools import islice
from typing import Any, Callable, Iterator

from chargeledger.pricing import Tariff, Usage, UsagePoint, compile_tariff, ocpi_json, price_cdr, price_usage

ENERGY_ONLY = {"id": "A", "currency": "EUR", "elements": [
    {"price_components": [{"type": "ENERGY", "price": 0.35, "vat": 21.0, "step_size": 1}]}]}
TIME_OF_DAY = {
    "id": "B", "currency": "EUR", "min_price": {"excl_vat": 1.00, "incl_vat": 1.21},
    "max_price": {"excl_vat": 60.00, "incl_vat": 72.60},
    "elements": [
        {"price_components": [{"type": "FLAT", "price": 0.35, "vat": 21.0, "step_size": 1}]},
        {"price_components": [{"type": "ENERGY", "price": 0.22, "vat": 21.0, "step_size": 100}],
         "restrictions": {"start_time": "23:00", "end_time": "07:00"}},
        {"price_components": [{"type": "ENERGY", "price": 0.29, "vat": 21.0, "step_size": 100}],
         "restrictions": {"max_power": 11.0}},
        {"price_components": [{"type": "ENERGY", "price": 0.39, "vat": 21.0, "step_size": 100},
                              {"type": "PARKING_TIME", "price": 6.00, "vat": 21.0, "step_size": 300}],
         "restrictions": {"min_duration": 10800}},
        {"price_components": [{"type": "ENERGY", "price": 0.39, "vat": 21.0, "step_size": 100},
                              {"type": "TIME", "price": 0.60, "vat": 21.0, "step_size": 60}]},
    ]}
YEAR_START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def energy_cdrs(count: int, rng: random.Random) -> Iterator[dict]:
    for _ in range(count):
        start = YEAR_START + timedelta(minutes=rng.randrange(525_600))
        periods, at = [], start
        for _ in range(10):
            periods.append({"start_date_time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "dimensions": [{"type": "ENERGY", "volume": Decimal(rng.randrange(100, 5000)) / 1000}]})
            at += timedelta(minutes=rng.randrange(5, 40))
        yield {"start_date_time": periods[0]["start_date_time"], "end_date_time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
               "charging_periods": periods}


LOW_POWER_W = (3700, 7400)  # below the tariff's 11 kW max_power restriction
HIGH_POWER_W = (11000, 16500, 22000)
WINDOW_EDGES_UTC = (5, 6, 5, 6, 21, 22)  # 07:00 (twice as likely) and 23:00 local in Amsterdam, summer and winter


def usages(count: int, rng: random.Random) -> Iterator[Usage]:
    """About 10 charging periods each: the power crosses 11 kW, most sessions cross a time-of-day window boundary
    and the 3 h min_duration, and end with idle time that is free at first, then priced."""
    for _ in range(count):
        day = YEAR_START + timedelta(days=rng.randrange(366))
        if rng.random() < 0.8:  # start up to 2 h before a window boundary, so the session runs across it
            start = day + timedelta(hours=rng.choice(WINDOW_EDGES_UTC), minutes=-rng.randrange(120))
        else:
            start = day + timedelta(hours=6, minutes=rng.randrange(720))  # a daytime session
        samples, at, wh = [], start, Decimal(0)
        charging_samples = rng.randrange(11, 16)
        high = rng.random() < 0.5
        for i in range(charging_samples + 2):
            charging = i < charging_samples
            if rng.random() < 0.8:  # most power changes cross the 11 kW threshold
                high = not high
            power = Decimal(rng.choice(HIGH_POWER_W if high else LOW_POWER_W)) if charging else Decimal(0)
            samples.append(UsagePoint(at, wh, power, None, charging))
            minutes = rng.randrange(10, 25) if charging else rng.randrange(20, 60)
            at += timedelta(minutes=minutes)
            if charging:
                wh += power * minutes / 60
        yield Usage(start, at, tuple(samples))


CHUNK = 1_000
PERIODS_MAX = 100_000  # the "+ periods" variant runs at 1k and at most this many sessions


def totals_only(priced: Any) -> int:
    priced.totals.total_cost  # what a CDR or a settlement needs first
    return 0


def every_line(priced: Any) -> int:
    for period in priced.periods:
        period.lines
    return len(priced.periods)


def run(label: str, count: int, sessions: Iterator, price: Callable, touch: Callable) -> tuple[float, float]:
    """Price `count` sessions; returns (CPU seconds, wall seconds) per session of the timed part."""
    cpu = wall = 0.0
    periods = 0
    load = os.getloadavg()[0]
    gc_before = sum(s["collections"] for s in gc.get_stats())
    while chunk := list(islice(sessions, CHUNK)):
        w0, c0 = time.perf_counter(), time.process_time()
        for session in chunk:
            periods += touch(price(session))  # nothing is kept, as when a stream of sessions is priced
        cpu += time.process_time() - c0
        wall += time.perf_counter() - w0
    collections = sum(s["collections"] for s in gc.get_stats()) - gc_before
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label:<44} n={count:>9,}  {count / cpu:>8,.0f}/s CPU  {count / wall:>8,.0f}/s wall  "
          f"{f'{periods / count:4.1f}' if periods else '   -'} periods  load {load:.1f}->{os.getloadavg()[0]:.1f}  gc {collections}  "
          f"peak RSS {rss:.0f} MB", flush=True)
    return cpu / count, wall / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=1_000_000, help="largest batch size (default 1,000,000)")
    args = parser.parse_args()
    sizes = [1_000, args.max] if args.max > 1_000 else [args.max]  # 1k, then the largest batch
    print(f"python {os.sys.version.split()[0]}, {os.cpu_count()} CPUs, load average at start "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    cost: dict[str, list[tuple[float, float]]] = {}
    for n in sizes:
        energy = compile_tariff(Tariff.from_json(json.dumps(ENERGY_ONLY)))
        cost.setdefault("(a)", []).append(run("(a) energy-only tariff, price_cdr", n, energy_cdrs(n, random.Random(1)),
                                              lambda c: price_cdr(energy, c, "UTC"), totals_only))
        windows = compile_tariff(Tariff.from_ocpi(ocpi_json.loads(json.dumps(TIME_OF_DAY))))
        cost.setdefault("(b)", []).append(run("(b) windows+idle fee+steps+min/max, usage", n, usages(
            n, random.Random(2)), lambda u: price_usage(windows, u, "Europe/Amsterdam"), totals_only))
        m = min(n, PERIODS_MAX)
        windows = compile_tariff(Tariff.from_ocpi(ocpi_json.loads(json.dumps(TIME_OF_DAY))))
        cost.setdefault("(b) + periods", []).append(run("(b) + every period and line object", m, usages(
            m, random.Random(2)), lambda u: price_usage(windows, u, "Europe/Amsterdam"), every_line))
    if len(sizes) == 2:
        for key, ((cpu_small, wall_small), (cpu_large, wall_large)) in cost.items():
            large = min(sizes[1], PERIODS_MAX) if key == "(b) + periods" else sizes[1]
            print(f"{key} cost per session, {large:,} vs {sizes[0]:,} sessions: ratio {cpu_large / cpu_small:.2f} CPU, "
                  f"{wall_large / wall_small:.2f} wall")


if __name__ == "__main__":
    main()
