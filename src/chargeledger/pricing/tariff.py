"""The OCPI 2.2.1 Tariff object: parsed from exact OCPI JSON, validated, and written back unchanged.

`Tariff.from_ocpi(obj)` refuses an unusable tariff with a TariffError listing every (field_path, reason);
`tariff.to_ocpi()` returns the same JSON object (numbers as the same Decimal/int values).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chargeledger.pricing import ocpi_json
from chargeledger.pricing.errors import TariffError
from chargeledger.pricing.tariff_checks import Checker

DIMENSIONS = ("ENERGY", "FLAT", "PARKING_TIME", "TIME")
TARIFF_TYPES = ("AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN", "REGULAR")
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
RESERVATION_KINDS = ("RESERVATION", "RESERVATION_EXPIRES")


@dataclass(frozen=True, slots=True)
class Price:
    """OCPI Price: an amount excluding VAT and, optionally, including VAT."""

    excl_vat: Decimal
    incl_vat: Decimal | None = None

    def to_ocpi(self) -> dict[str, Any]:
        out: dict[str, Any] = {"excl_vat": self.excl_vat}
        if self.incl_vat is not None:
            out["incl_vat"] = self.incl_vat
        return out


@dataclass(frozen=True, slots=True)
class PriceComponent:
    """How one dimension is charged: price per unit excl. VAT, VAT percent (None = no VAT, not 0 %), step."""

    type: str
    price: Decimal
    step_size: int
    vat: Decimal | None = None

    def to_ocpi(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "price": self.price}
        if self.vat is not None:
            out["vat"] = self.vat
        out["step_size"] = self.step_size
        return out


@dataclass(frozen=True, slots=True)
class TariffRestrictions:
    """When a tariff element applies; every field that is set must hold (logical AND)."""

    start_time: str | None = None
    end_time: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    min_kwh: Decimal | None = None
    max_kwh: Decimal | None = None
    min_current: Decimal | None = None
    max_current: Decimal | None = None
    min_power: Decimal | None = None
    max_power: Decimal | None = None
    min_duration: int | None = None
    max_duration: int | None = None
    day_of_week: tuple[str, ...] | None = None
    reservation: str | None = None

    def to_ocpi(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in RESTRICTION_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = list(value) if name == "day_of_week" else value
        return out


RESTRICTION_FIELDS = tuple(TariffRestrictions.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class TariffElement:
    """A group of price components that share one set of restrictions."""

    price_components: tuple[PriceComponent, ...]
    restrictions: TariffRestrictions | None = None

    def to_ocpi(self) -> dict[str, Any]:
        out: dict[str, Any] = {"price_components": [c.to_ocpi() for c in self.price_components]}
        if self.restrictions is not None:
            out["restrictions"] = self.restrictions.to_ocpi()
        return out


@dataclass(frozen=True, slots=True)
class DisplayText:
    language: str
    text: str


@dataclass(frozen=True, slots=True)
class Tariff:
    """An OCPI 2.2.1 Tariff. Date-times are kept as the exact OCPI strings so the round trip is lossless.

    country_code, party_id and last_updated are required by OCPI transport but not to price, so they are optional
    here (independent test vectors omit them); energy_mix is kept as raw JSON.
    """

    id: str | None
    currency: str
    elements: tuple[TariffElement, ...]
    country_code: str | None = None
    party_id: str | None = None
    type: str | None = None
    tariff_alt_text: tuple[DisplayText, ...] | None = None
    tariff_alt_url: str | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    start_date_time: str | None = None
    end_date_time: str | None = None
    energy_mix: dict[str, Any] | None = None
    last_updated: str | None = None

    @classmethod
    def from_ocpi(cls, obj: Any) -> Tariff:
        """Build a Tariff from a parsed OCPI JSON object; raise TariffError listing every problem found."""
        check = Checker()
        tariff = _read_tariff(check, obj)
        if check.problems:
            raise TariffError(check.problems)
        assert tariff is not None
        return tariff

    @classmethod
    def from_json(cls, text: str | bytes) -> Tariff:
        """Parse OCPI JSON text (numbers kept as Decimal) into a Tariff."""
        try:
            obj = ocpi_json.loads(text)
        except ValueError as exc:
            raise TariffError([("$", f"not valid JSON: {exc}")]) from None
        return cls.from_ocpi(obj)

    def to_ocpi(self) -> dict[str, Any]:
        """The OCPI JSON object for this tariff, with only the fields that were present."""
        out: dict[str, Any] = {}
        for name in ("country_code", "party_id", "id", "currency", "type"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.tariff_alt_text is not None:
            out["tariff_alt_text"] = [{"language": t.language, "text": t.text} for t in self.tariff_alt_text]
        if self.tariff_alt_url is not None:
            out["tariff_alt_url"] = self.tariff_alt_url
        if self.min_price is not None:
            out["min_price"] = self.min_price.to_ocpi()
        if self.max_price is not None:
            out["max_price"] = self.max_price.to_ocpi()
        out["elements"] = [e.to_ocpi() for e in self.elements]
        for name in ("start_date_time", "end_date_time", "energy_mix", "last_updated"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return ocpi_json.dumps(self.to_ocpi(), indent=indent)


_TOP_FIELDS = (
    "country_code", "party_id", "id", "currency", "type", "tariff_alt_text", "tariff_alt_url", "min_price",
    "max_price", "elements", "start_date_time", "end_date_time", "energy_mix", "last_updated",
)


def _read_tariff(check: Checker, obj: Any) -> Tariff | None:
    if not check.is_object("$", obj):
        return None
    check.known_fields("", obj, _TOP_FIELDS)
    currency = check.currency("currency", obj)
    elements = _read_elements(check, obj)
    start, end = check.datetime_range(obj)
    min_price = _read_price(check, "min_price", obj.get("min_price"))
    max_price = _read_price(check, "max_price", obj.get("max_price"))
    if min_price and max_price and min_price.excl_vat > max_price.excl_vat:
        check.refuse("max_price.excl_vat", f"is below min_price.excl_vat ({min_price.excl_vat})")
    alt_text = _read_alt_text(check, obj.get("tariff_alt_text"))
    return Tariff(
        id=check.optional_str("id", obj),
        currency=currency or "",
        elements=elements,
        country_code=check.optional_str("country_code", obj),
        party_id=check.optional_str("party_id", obj),
        type=check.optional_enum("type", obj, TARIFF_TYPES),
        tariff_alt_text=alt_text,
        tariff_alt_url=check.optional_str("tariff_alt_url", obj),
        min_price=min_price,
        max_price=max_price,
        start_date_time=start,
        end_date_time=end,
        energy_mix=obj.get("energy_mix"),
        last_updated=check.optional_str("last_updated", obj),
    )


def _read_elements(check: Checker, obj: dict[str, Any]) -> tuple[TariffElement, ...]:
    raw = obj.get("elements")
    if not isinstance(raw, list) or not raw:
        check.refuse("elements", "required: a list of at least one tariff element")
        return ()
    elements = []
    for i, element in enumerate(raw):
        path = f"elements[{i}]"
        if not check.is_object(path, element):
            continue
        check.known_fields(path + ".", element, ("price_components", "restrictions"))
        components = _read_components(check, path, element.get("price_components"))
        restrictions = None
        if element.get("restrictions") is not None:
            restrictions = _read_restrictions(check, path + ".restrictions", element["restrictions"])
        elements.append(TariffElement(components, restrictions))
    return tuple(elements)


def _read_components(check: Checker, path: str, raw: Any) -> tuple[PriceComponent, ...]:
    if not isinstance(raw, list) or not raw:
        check.refuse(path + ".price_components", "required: a list of at least one price component")
        return ()
    components = []
    for j, comp in enumerate(raw):
        cpath = f"{path}.price_components[{j}]"
        if not check.is_object(cpath, comp):
            continue
        check.known_fields(cpath + ".", comp, ("type", "price", "vat", "step_size"))
        kind = check.required_enum(cpath + ".type", comp.get("type"), DIMENSIONS)
        price = check.non_negative(cpath + ".price", comp.get("price"), required=True)
        vat = check.non_negative(cpath + ".vat", comp.get("vat"), required=False)
        step = check.step_size(cpath + ".step_size", comp.get("step_size"), unit_less=(kind == "FLAT"))
        components.append(PriceComponent(kind or "", price or Decimal(0), step or 0, vat))
    return tuple(components)


def _read_restrictions(check: Checker, path: str, raw: Any) -> TariffRestrictions | None:
    if not check.is_object(path, raw):
        return None
    check.known_fields(path + ".", raw, RESTRICTION_FIELDS)
    values: dict[str, Any] = {}
    for name in ("start_time", "end_time"):
        values[name] = check.time_of_day(f"{path}.{name}", raw.get(name))
    if values["start_time"] and values["start_time"] == values["end_time"]:
        check.refuse(path + ".end_time", "equals start_time: the time window would be empty")
    for name in ("start_date", "end_date"):
        values[name] = check.date(f"{path}.{name}", raw.get(name))
    if values["start_date"] and values["end_date"] and values["end_date"] <= values["start_date"]:
        check.refuse(path + ".end_date", f"is not after start_date ({values['start_date']}); end_date is exclusive")
    for low, high in (("min_kwh", "max_kwh"), ("min_current", "max_current"), ("min_power", "max_power")):
        values[low] = check.non_negative(f"{path}.{low}", raw.get(low), required=False)
        values[high] = check.non_negative(f"{path}.{high}", raw.get(high), required=False)
        check.can_hold(path, low, values[low], high, values[high])
    for low, high in (("min_duration", "max_duration"),):
        values[low] = check.non_negative_int(f"{path}.{low}", raw.get(low))
        values[high] = check.non_negative_int(f"{path}.{high}", raw.get(high))
        check.can_hold(path, low, values[low], high, values[high])
    values["day_of_week"] = check.days(path + ".day_of_week", raw.get("day_of_week"), DAYS)
    values["reservation"] = check.optional_enum("reservation", raw, RESERVATION_KINDS, prefix=path + ".")
    return TariffRestrictions(**values)


def _read_price(check: Checker, path: str, raw: Any) -> Price | None:
    if raw is None or not check.is_object(path, raw):
        return None
    check.known_fields(path + ".", raw, ("excl_vat", "incl_vat"))
    excl = check.non_negative(path + ".excl_vat", raw.get("excl_vat"), required=True)
    incl = check.non_negative(path + ".incl_vat", raw.get("incl_vat"), required=False)
    if excl is not None and incl is not None and incl < excl:
        check.refuse(path + ".incl_vat", f"is below excl_vat ({excl})")
    return Price(excl if excl is not None else Decimal(0), incl)


def _read_alt_text(check: Checker, raw: Any) -> tuple[DisplayText, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        check.refuse("tariff_alt_text", "must be a list of DisplayText")
        return None
    texts = []
    for i, item in enumerate(raw):
        path = f"tariff_alt_text[{i}]"
        if check.is_object(path, item):
            check.known_fields(path + ".", item, ("language", "text"))
            texts.append(DisplayText(check.optional_str("language", item, prefix=path + ".") or "",
                                     check.optional_str("text", item, prefix=path + ".") or ""))
    return tuple(texts)
