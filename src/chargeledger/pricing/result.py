"""What pricing returns: priced periods with one line per dimension, and the OCPI CDR totals.

Periods and lines are NamedTuples built only when asked for; money and totals are frozen dataclasses, and the
session is immutable. Money is excl/incl VAT at full Decimal precision; `CdrTotals.to_ocpi()` quantizes to 4 decimals.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, NamedTuple

OCPI_PLACES = Decimal("0.0001")  # OCPI CDR money and quantities carry 4 decimals
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount excluding and including VAT, full precision."""

    excl_vat: Decimal
    incl_vat: Decimal

    def __add__(self, other: Money) -> Money:
        return Money(self.excl_vat + other.excl_vat, self.incl_vat + other.incl_vat)

    def quantized(self) -> Money:
        return Money(quantize(self.excl_vat), quantize(self.incl_vat))

    def to_ocpi(self) -> dict[str, Decimal]:
        return {"excl_vat": quantize(self.excl_vat), "incl_vat": quantize(self.incl_vat)}


NO_MONEY = Money(ZERO, ZERO)


def quantize(value: Decimal) -> Decimal:
    """Four decimals, half up: the precision of OCPI CDR fields."""
    return value.quantize(OCPI_PLACES, rounding=ROUND_HALF_UP)


class PricedLine(NamedTuple):
    """One dimension priced within one period.

    dimension: ENERGY, TIME, PARKING_TIME or FLAT (TIME/FLAT of a reservation element price the reservation).
    cdr_total: the CDR total it counts into: total_energy_cost, total_time_cost, total_parking_cost,
      total_fixed_cost or total_reservation_cost.
    volume: measured quantity (kWh, or hours for TIME/PARKING_TIME/reservation time, 1 for FLAT).
    billed_volume: volume after step_size rounding (differs only on the last line of a dimension).
    """

    dimension: str
    cdr_total: str
    element_index: int
    label: str
    volume: Decimal
    billed_volume: Decimal
    unit_price: Decimal
    vat: Decimal | None  # percent; None = no VAT applies (not the same as 0 %)
    step_size: int
    cost: Money


class PricedPeriod(NamedTuple):
    """A stretch of the session in which no active price component changes.

    kind: CHARGING, PARKING (not charging after charging started), WAITING (before charging started) or
      RESERVATION. element_index/label: the element pricing the period's main dimension (None/"Free" if nothing
      is charged). energy in kWh; time (charging), parking_time, reservation_time in hours.
    """

    start: datetime
    end: datetime
    kind: str
    element_index: int | None
    label: str
    energy: Decimal
    time: Decimal
    parking_time: Decimal
    reservation_time: Decimal
    lines: tuple[PricedLine, ...]
    cost: Money
    min_power_w: Decimal | None = None
    max_power_w: Decimal | None = None
    min_current_a: Decimal | None = None
    max_current_a: Decimal | None = None

    @property
    def vat_rates(self) -> tuple[Decimal | None, ...]:
        return tuple(dict.fromkeys(line.vat for line in self.lines))


@dataclass(frozen=True, slots=True)
class CdrTotals:
    """Every OCPI CDR total. Quantities: energy kWh, times hours. Full precision; see to_ocpi()."""

    total_cost: Money
    total_fixed_cost: Money
    total_energy: Decimal
    total_energy_cost: Money
    total_time: Decimal
    total_time_cost: Money
    total_parking_time: Decimal
    total_parking_cost: Money
    total_reservation_cost: Money

    def to_ocpi(self) -> dict[str, Any]:
        """The CDR total fields with OCPI names, quantized to 4 decimals (half up)."""
        out: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            out[name] = value.to_ocpi() if isinstance(value, Money) else quantize(value)
        return out


class PricedSession:
    """A priced session: the contract between pricing and settlement/breakdown code.

    currency: ISO 4217 code of the tariff.
    periods: PricedPeriod tuple in time order (reservation first); their lines are the invoice lines.
    totals: OCPI CDR totals. totals.total_cost = sum of all line costs + min_price_adjustment +
      max_price_adjustment (the adjustments are zero unless the tariff's min_price/max_price applied; the
      per-dimension totals are never adjusted).
    min_price_adjustment: amount added to reach min_price (>= 0). max_price_adjustment: amount removed to respect
      max_price (<= 0). Both excl and incl VAT are checked independently, as the spec says.
    step_rounded: the dimensions whose total was rounded up by step_size ("ENERGY", "TIME"/"PARKING_TIME",
      "RESERVATION").

    Immutable. `periods` may be given as a zero-argument callable: the tuple is then built on first access, so
    code that needs only the totals never pays for period and line objects.
    """

    __slots__ = ("currency", "_periods", "totals", "min_price_adjustment", "max_price_adjustment", "step_rounded")

    def __init__(self, currency: str, periods: tuple[PricedPeriod, ...] | Callable[[], tuple[PricedPeriod, ...]],
                 totals: CdrTotals, min_price_adjustment: Money, max_price_adjustment: Money,
                 step_rounded: tuple[str, ...]):
        init = object.__setattr__  # frozen: only the constructor (and the one lazy fill) writes
        init(self, "currency", currency)
        init(self, "_periods", periods)
        init(self, "totals", totals)
        init(self, "min_price_adjustment", min_price_adjustment)
        init(self, "max_price_adjustment", max_price_adjustment)
        init(self, "step_rounded", step_rounded)

    @property
    def periods(self) -> tuple[PricedPeriod, ...]:
        periods = self._periods
        if not isinstance(periods, tuple):
            periods = periods()
            object.__setattr__(self, "_periods", periods)
        return periods

    @property
    def lines(self) -> tuple[PricedLine, ...]:
        return tuple(line for period in self.periods for line in period.lines)

    def _fields(self) -> tuple:
        return (self.currency, self.periods, self.totals, self.min_price_adjustment, self.max_price_adjustment,
                self.step_rounded)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __reduce__(self):
        return PricedSession, self._fields()

    def __repr__(self) -> str:
        names = ("currency", "periods", "totals", "min_price_adjustment", "max_price_adjustment", "step_rounded")
        return "PricedSession(" + ", ".join(f"{n}={v!r}" for n, v in zip(names, self._fields())) + ")"
