"""A tariff prepared once for pricing many sessions: rules in engine units, candidates per dimension, caches.

Which price component is active is decided here: for each dimension, the first element in list order that
carries that dimension and whose restrictions all hold (PRODUCT.md, Pricing); no match means the dimension is free.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import timedelta, tzinfo
from decimal import Decimal

from chargeledger.pricing.restrictions import RESERVATION_EXPIRED, SESSION, ElementRule
from chargeledger.pricing.tariff import Tariff
from chargeledger.pricing.windows import DayCalendar, build_day, local_of

_HUNDRED = Decimal(100)
_ONE = Decimal(1)
_CACHE_LIMIT = 50_000  # bounded so a long-running process pricing many days never grows without limit


class Component:
    """One price component ready to multiply: price per unit, VAT factor (1 when no VAT), step in Wh or s."""

    __slots__ = ("element_index", "dimension", "price", "vat", "vat_factor", "step_size", "label")

    def __init__(self, element_index: int, dimension: str, price: Decimal, vat: Decimal | None, step: int, label: str):
        self.element_index = element_index
        self.dimension = dimension
        self.price = Decimal(price)
        self.vat = None if vat is None else Decimal(vat)
        self.vat_factor = _ONE if vat is None else _ONE + Decimal(vat) / _HUNDRED
        self.step_size = step
        self.label = label

    def __repr__(self) -> str:
        return f"Component(element={self.element_index}, {self.dimension}, {self.price})"


class CompiledTariff:
    """Parse once, evaluate many: `select()` answers which components are active at one moment."""

    def __init__(self, tariff: Tariff):
        self.tariff = tariff
        self.currency = tariff.currency
        self.rules = [ElementRule(i, e.restrictions) for i, e in enumerate(tariff.elements)]
        labels = _window_labels(tariff, self.rules)
        self.candidates: dict[str, list[tuple[ElementRule, Component]]] = {d: [] for d in
                                                                          ("ENERGY", "TIME", "PARKING_TIME", "FLAT")}
        for rule, element in zip(self.rules, tariff.elements):
            seen = set()
            for c in element.price_components:
                if c.type in seen:  # a second component of the same dimension in one element can never be first
                    continue
                seen.add(c.type)
                self.candidates[c.type].append(
                    (rule, Component(rule.index, c.type, c.price, c.vat, c.step_size, labels[rule.index])))
        self._energy = self.candidates["ENERGY"]
        self._time = self.candidates["TIME"]
        # OCPI 2.2.1 ReservationRestrictionType note: an expired reservation's TIME is priced by a
        # RESERVATION_EXPIRES element even when a RESERVATION element with TIME is listed before it
        self._time_expired = sorted(self._time, key=lambda pair: pair[0].reservation != "RESERVATION_EXPIRES")
        self._parking = self.candidates["PARKING_TIME"]
        self._flat = self.candidates["FLAT"]
        self.has_calendar = any(r.has_calendar for r in self.rules)
        self.window_boundaries = sorted({s for r in self.rules for s in (r.window_start, r.window_end)
                                         if s is not None and s < 86400})
        self.kwh_thresholds_wh = sorted({v for r in self.rules for v in (r.min_wh, r.max_wh) if v is not None})
        self.duration_thresholds_us = sorted({v for r in self.rules for v in (r.min_duration_us, r.max_duration_us)
                                              if v is not None and v > 0})
        self.power_thresholds_w = self._power = sorted(
            {v for r in self.rules for v in (r.min_w, r.max_w) if v is not None})
        self.current_thresholds_a = self._current = sorted(
            {v for r in self.rules for v in (r.min_a, r.max_a) if v is not None})
        self.min_price = tariff.min_price
        self.max_price = tariff.max_price
        self._days: dict[tuple[tzinfo, object], tuple[DayCalendar, list[int]]] = {}
        self._mask_ids: dict[tuple[bool, ...], int] = {}
        self._masks: list[tuple[bool, ...]] = []
        self._chosen: dict[tuple, tuple] = {}
        # usage pricing: (kind, flat_found, mask, kWh bucket, duration bucket, power, current) -> canonical
        # (kind, energy, time, parking, flat), one object per distinct answer so slices merge on identity
        self.usage_cache: dict[tuple, tuple] = {}
        self._canonical: dict[tuple, tuple] = {}

    # --- calendar -------------------------------------------------------------------------------------------
    def calendar(self, zone: tzinfo, start_us: int, end_us: int) -> tuple[list[int], list[int]]:
        """Segment starts and mask ids covering [start_us, end_us); the first segment starts at start_us."""
        if not self.has_calendar:
            return [start_us], [self._mask_id(())]
        day = local_of(start_us, zone).date()
        starts: list[int] = []
        ids: list[int] = []
        while True:
            cal, cal_ids = self._day(zone, day)
            for s, i in zip(cal.starts, cal_ids):
                if s <= start_us:
                    starts, ids = [start_us], [i]
                elif s < end_us:
                    starts.append(s)
                    ids.append(i)
            if cal.end >= end_us:
                return starts, ids
            day += timedelta(days=1)

    def _day(self, zone: tzinfo, day) -> tuple[DayCalendar, list[int]]:
        key = (zone, day)
        found = self._days.get(key)
        if found is None:
            if len(self._days) > _CACHE_LIMIT:
                self._days.clear()
            cal = build_day(zone, day, self.rules, self.window_boundaries)
            found = (cal, [self._mask_id(m) for m in cal.masks])
            self._days[key] = found
        return found

    def _mask_id(self, mask: tuple[bool, ...]) -> int:
        found = self._mask_ids.get(mask)
        if found is None:
            found = self._mask_ids[mask] = len(self._masks)
            self._masks.append(mask)
        return found

    # --- which component is active ---------------------------------------------------------------------------
    def select(self, phase: int, mask_id: int, wh: Decimal, duration_us: int, low_w: Decimal | None,
               high_w: Decimal | None, low_a: Decimal | None, high_a: Decimal | None) -> tuple:
        """(energy, time, parking, flat) components active at one moment; None where the dimension is free."""
        # every value inside one bucket between thresholds gives the same answer, so the bucket is the cache key
        power, current = self._power, self._current
        key = (phase, mask_id, bisect_right(self.kwh_thresholds_wh, wh) if self.kwh_thresholds_wh else 0,
               bisect_right(self.duration_thresholds_us, duration_us) if self.duration_thresholds_us else 0,
               (_bucket(power, low_w), _bucket(power, high_w)) if power else 0,
               (_bucket(current, low_a), _bucket(current, high_a)) if current else 0)
        chosen = self._chosen.get(key)
        if chosen is None:
            if len(self._chosen) > _CACHE_LIMIT:
                self._chosen.clear()
            mask = self._masks[mask_id]
            args = (phase, wh, duration_us, low_w, high_w, low_a, high_a)
            time = self._time_expired if phase == RESERVATION_EXPIRED else self._time
            chosen = self._chosen[key] = tuple(_first(c, mask, args) for c in
                                               (self._energy, time, self._parking, self._flat))
        return chosen

    def choose_for_usage(self, key: tuple, kind: str, flat_found: bool, mask_id: int, wh: Decimal,
                         duration_us: int, power: Decimal | None, amps: Decimal | None) -> tuple:
        """The components a usage slice of this kind prices with (only its kind's time dimension; FLAT once),
        stored under the caller's bucket key."""
        energy_c, time_c, parking_c, flat_c = self.select(SESSION, mask_id, wh, duration_us, power, power, amps, amps)
        if kind == "CHARGING":
            parking_c = None
        elif kind == "PARKING":
            time_c = None
        else:
            time_c = parking_c = None
        if flat_found:
            flat_c = None
        answer = (kind, energy_c, time_c, parking_c, flat_c)
        if len(self.usage_cache) > _CACHE_LIMIT:
            self.usage_cache.clear()
        answer = self._canonical.setdefault(answer, answer)
        self.usage_cache[key] = answer
        return answer

    def calendar_mask_at(self, zone: tzinfo, us: int) -> int:
        starts, ids = self.calendar(zone, us, us + 1)
        return ids[0]


def _bucket(thresholds: list[Decimal], value: Decimal | None) -> int:
    if value is None:
        return -1
    return bisect_right(thresholds, value) if thresholds else 0


def _first(candidates: list[tuple[ElementRule, Component]], mask: tuple[bool, ...], args: tuple) -> Component | None:
    phase, wh, duration_us, low_w, high_w, low_a, high_a = args
    for rule, component in candidates:
        calendar_ok = mask[rule.index] if mask else True
        if rule.holds(phase, calendar_ok, wh, duration_us, low_w, high_w, low_a, high_a):
            return component
    return None


def _window_labels(tariff: Tariff, rules: list[ElementRule]) -> list[str]:
    """Label per element: "Off-peak"/"Peak" for the cheapest/dearest time-of-day window, then the restrictions."""
    windowed = [r for r in rules if r.window_start is not None or r.window_end is not None]
    main_price = {}
    for rule, element in zip(rules, tariff.elements):
        prices = {c.type: Decimal(c.price) for c in element.price_components}
        main_price[rule.index] = next((prices[d] for d in ("ENERGY", "TIME", "PARKING_TIME") if d in prices), None)
    priced = [main_price[r.index] for r in windowed if main_price[r.index] is not None]
    labels = []
    for rule in rules:
        text = rule.label or "All times"
        price = main_price[rule.index]
        if rule in windowed and price is not None and len(set(priced)) > 1:
            if price == min(priced):
                text = f"Off-peak {text}"
            elif price == max(priced):
                text = f"Peak {text}"
        labels.append(text)
    return labels


_COMPILED: dict[int, tuple[Tariff, CompiledTariff]] = {}


def compile_tariff(tariff: Tariff | CompiledTariff) -> CompiledTariff:
    """The compiled form of a tariff; compiling the same Tariff object twice returns the cached one."""
    if isinstance(tariff, CompiledTariff):
        return tariff
    found = _COMPILED.get(id(tariff))
    if found is not None and found[0] is tariff:
        return found[1]
    if len(_COMPILED) > 1000:
        _COMPILED.clear()
    compiled = CompiledTariff(tariff)
    _COMPILED[id(tariff)] = (tariff, compiled)
    return compiled


__all__ = ["Component", "CompiledTariff", "compile_tariff", "SESSION"]
