"""Historical demo sessions shaped like real ones: start hour, plug time and energy drawn from real datasets.

Each session is an OCPP-like event stream (plug-in, authorise, start, charging states, stop, unplug, settled);
some carry 5-minute meter samples with a power curve (tapering on DC), some are roamed, failed, cancelled,
flagged, simulated or have custom fields. The same seed always gives the same sessions.
"""

from __future__ import annotations

import csv
import itertools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

from ..domain.events import ChargingState, EventKind, EventSource
from ..domain.meter import Measurand, MeterSample
from ..importing.bulk import SessionRecord
from ..ledger.store import NewEvent, SessionRef
from . import extras
from .network import _CARS, PUBLIC_ORG, SITES, DemoNetwork

PROFILES = Path(__file__).parent / "data" / "session_profiles.csv"
_KW = {"ac22": 11.0, "ac7": 6.6, "dc50": 50.0, "dc150": 150.0}  # what a typical car draws there
_FAILURES = ("EVCommunicationError", "GroundFault", "PowerSwitchFailure", "OverCurrentFailure", "EmergencyStop")


@dataclass(frozen=True)
class Profile:
    weekday: int
    start_minute: int
    plug_minutes: int
    energy_wh: int


@lru_cache(maxsize=1)
def profiles() -> dict[str, list[Profile]]:
    """Real session shapes per dataset (see data/SOURCE.md)."""
    out: dict[str, list[Profile]] = {}
    with PROFILES.open(newline="") as handle:
        for row in csv.DictReader(handle):
            out.setdefault(row["dataset"], []).append(
                Profile(int(row["weekday"]), int(row["start_minute"]), int(row["plug_minutes"]), int(row["energy_wh"])))
    return out


def generate_sessions(network: DemoNetwork, count: int, seed: int = 7, end: datetime | None = None,
                      days: int = 365, sampled: int = 300, key_prefix: str = "demo") -> Iterator[SessionRecord]:
    """`count` finished sessions over the `days` before `end`; the first `sampled` of them carry meter samples."""
    rng = random.Random(seed)
    end = (end or datetime.now(timezone.utc)).replace(microsecond=0)
    zones = {s.id: ZoneInfo(s.time_zone) for s in SITES}
    shapes = profiles()
    registers = {evse: rng.randint(100_000, 40_000_000) for _, _, evses in network.stations for evse in evses}
    sample_every = max(1, count // sampled) if sampled else 0
    cards = itertools.count()  # numbers card payments, so every n-th one fails at the simulated gateway
    for index in range(count):
        plan, org, evse_ids = network.stations[rng.randrange(len(network.stations))]
        evse = rng.choice(evse_ids)
        shape = rng.choice(shapes["trondheim" if org == PUBLIC_ORG else "workplace"])
        # the real weekday and minute of day, on a day of the last `days` in the site's zone
        day = (end - timedelta(days=rng.randrange(1, days + 1))).astimezone(zones[plan.site_id]).date()
        day -= timedelta(days=(day.weekday() - shape.weekday) % 7)
        local = datetime(day.year, day.month, day.day, tzinfo=zones[plan.site_id]) + timedelta(
            minutes=shape.start_minute + rng.random())
        plugged = local.astimezone(timezone.utc).replace(microsecond=0)
        with_samples = bool(sample_every) and index % sample_every == 0 and index // sample_every < sampled
        yield _session(rng, network, index, plan.kind, plan.station_id, plan.site_id, org, evse, plugged, shape,
                       registers, with_samples, f"{key_prefix}:{seed}:{index}", cards)


def _session(rng, network, index, kind, station_id, site_id, org, evse, plugged, shape, registers, with_samples,
             key, cards) -> SessionRecord:
    dc = kind.startswith("dc")
    energy = shape.energy_wh * (rng.uniform(1.5, 3.0) if dc else 1.0)
    power_w = _KW[kind] * 1000 * rng.uniform(0.8, 1.0)
    charge_seconds = max(60.0, energy / power_w * 3600 * (1.25 if dc else 1.0))
    plug_seconds = max(shape.plug_minutes * 60.0, charge_seconds + 60) if not dc else \
        charge_seconds + rng.uniform(60, 900)
    variant = rng.random()
    failed, cancelled = variant < 0.02, 0.02 <= variant < 0.05
    if cancelled:
        energy, charge_seconds = 0.0, 0.0
    if failed:
        charge_seconds = rng.uniform(30, 600)
        energy = power_w * charge_seconds / 3600
    energy = float(round(energy))  # whole Wh, so the last register sample and the stop reading agree
    extra = extras.stream(key)
    limit = extras.energy_limit_wh(extra) if energy else None
    if limit and energy > limit:  # the charger stopped at the driver's limit
        charge_seconds *= limit / energy
        energy = float(limit)
    drivers = network.drivers[org]
    driver_number = rng.randrange(len(drivers))
    driver_id, uid = drivers[driver_number]
    roamed = org == PUBLIC_ORG and rng.random() < 0.18
    partner = rng.choice(network.partners) if roamed else None
    start_raw = "ISO14443" if not roamed else ("eMAID" if rng.random() < 0.2 else "RFID")
    if org != PUBLIC_ORG:
        start_raw = rng.choice(("ios", "android", "ISO14443", "RemoteStartTransaction"))
    t_auth = plugged + timedelta(seconds=rng.randint(5, 40))
    started = t_auth + timedelta(seconds=rng.randint(2, 15))
    meter_start = registers[evse]
    samples = _curve(rng, kind, started, meter_start, energy, power_w) if with_samples and energy else []
    charge_end = max(started + timedelta(seconds=charge_seconds), samples[-1].time if samples else started)
    unplugged = max(plugged + timedelta(seconds=plug_seconds), charge_end + timedelta(seconds=rng.randint(60, 300)))
    stopped = unplugged - timedelta(seconds=rng.randint(5, 30)) if not failed else charge_end
    stopped = max(stopped, started)
    unplugged = max(unplugged, stopped)
    meter_stop = meter_start + round(energy)
    registers[evse] = meter_stop + rng.randint(0, 50)
    ref = SessionRef(key, org, site_id, station_id, evse, 1)
    n = iter(range(1, 100))
    token = {"id_token": uid, "token_type": "ISO14443"}
    if roamed:
        token = {"id_token": uid, "token_type": "eMAID",
                 "contract_id": f"{partner.country_code}-{partner.party_id}-C{rng.randint(10**7, 10**8 - 1)}-X"}
    else:
        token["driver_id"] = driver_id

    def event(kind_, at, payload=None):
        return NewEvent(kind_, at, EventSource.OCPP if kind_ not in _NOT_OCPP else _NOT_OCPP[kind_], payload or {},
                        f"{key}:{next(n)}")

    txn = f"{station_id}-{index:07d}"
    events = [
        event(EventKind.SESSION_CREATED, plugged, {"station_id": station_id, "evse_id": evse, "connector_id": 1}),
        event(EventKind.PLUGGED_IN, plugged),
        event(EventKind.AUTHORIZED, t_auth, token),
        event(EventKind.TRANSACTION_STARTED, started, {"transaction_id": txn, "meter_start_wh": meter_start,
                                                       "start_source_raw": start_raw, **token,
                                                       **({"energy_limit_wh": limit} if limit else {})}),
    ]
    if not cancelled:
        events.append(event(EventKind.CHARGING_STATE_CHANGED, started, {"state": ChargingState.CHARGING.value}))
        if not failed and (unplugged - charge_end).total_seconds() > 120:
            events.append(event(EventKind.CHARGING_STATE_CHANGED, charge_end,
                                {"state": ChargingState.SUSPENDED_EV.value}))
    if failed:
        events.append(event(EventKind.FAILED, stopped, {"reason": rng.choice(_FAILURES)}))
    flagged_stop = not failed and not cancelled and rng.random() < 0.01
    events.append(event(EventKind.TRANSACTION_STOPPED, stopped, {
        "meter_stop_wh": meter_start - rng.randint(100, 5000) if flagged_stop else meter_stop,
        "reason": "EVDisconnected" if not failed else "Other", "transaction_id": txn}))
    events.append(event(EventKind.UNPLUGGED, unplugged))
    if partner:
        events.append(event(EventKind.ROAMING_ATTRIBUTED, stopped, {
            "network": partner.network.value, "operator_id": "NL*VPL", "provider_id": partner.provider_id,
            "roaming_cdr_id": f"CDR-{key.replace(':', '-')}", "partner_transaction_id": f"{rng.getrandbits(64):016x}"}))
    if rng.random() < 0.02:
        events.append(event(EventKind.MARKED_SIMULATED, plugged, {"why": "test drive by the installer"}))
    if rng.random() < 0.03:
        events.append(event(EventKind.CUSTOM_FIELDS_SET, stopped, {"fields": {
            "PO number": f"PO-{rng.randint(10000, 99999)}", "Cost centre": rng.choice(("Sales", "R&D", "Ops"))}}))
    site = next(s for s in SITES if s.id == site_id)
    car = _CARS[driver_number % len(_CARS)]
    for kind_, at, source, payload in extras.driver_events(
            extra, started, stopped, unplugged, energy, (float(site.latitude), float(site.longitude)),
            float(car[2]), has_vehicle=not roamed and driver_number % 3 != 0):
        events.append(NewEvent(kind_, at, source, payload, f"{key}:{next(n)}"))
    if not failed:
        pay = extras.payment(extra, org == PUBLIC_ORG, roamed, start_raw, cards)
        events.append(event(EventKind.SETTLED, unplugged + timedelta(seconds=30), {"payment": pay} if pay else {}))
    return SessionRecord(ref, events, samples)


_NOT_OCPP = {EventKind.ROAMING_ATTRIBUTED: EventSource.ROAMING, EventKind.MARKED_SIMULATED: EventSource.OPERATOR,
             EventKind.CUSTOM_FIELDS_SET: EventSource.OPERATOR, EventKind.SETTLED: EventSource.SYSTEM}


def _curve(rng, kind, start, register, energy, power_w) -> list[MeterSample]:
    """Every 5 minutes until the energy is in: register, power, current, voltage, SoC; DC tapers above 80 % SoC."""
    dc = kind.startswith("dc")
    battery_wh = rng.choice((40_000, 58_000, 77_000))
    soc = max(5.0, rng.uniform(10, 60) - energy / battery_wh * 100 * 0.5) if dc else rng.uniform(20, 70)
    voltage = 400.0 if dc else 230.0
    out, delivered, t, step = [], 0.0, start, timedelta(minutes=5)
    while True:
        taper = 1.0 if not dc or soc < 80 else max(0.15, (100 - soc) / 20)
        power = 0.0 if delivered >= energy else power_w * taper * rng.uniform(0.97, 1.03)
        current = power / (voltage if dc else voltage * 3)
        out += [MeterSample(t, Measurand.ENERGY_ACTIVE_IMPORT_REGISTER, round(register + delivered, 1)),
                MeterSample(t, Measurand.POWER_ACTIVE_IMPORT, round(power, 1)),
                MeterSample(t, Measurand.CURRENT_IMPORT, round(current, 2)),
                MeterSample(t, Measurand.VOLTAGE, round(voltage * rng.uniform(0.99, 1.01), 1)),
                MeterSample(t, Measurand.SOC, round(min(soc, 100.0), 1))]
        if power == 0.0:
            return out
        gained = min(power * step.total_seconds() / 3600, energy - delivered)
        delivered += gained
        soc += gained / battery_wh * 100
        t += step
