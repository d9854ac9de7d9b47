"""Jinja filters: times in the viewer's zone, durations, figures, energy and money as people read them (figures
and money in the viewer's locale: viewer_locale.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from babel.numbers import format_currency, format_decimal
from jinja2 import pass_context
from markupsafe import Markup, escape

from ..settlement.currency import minor_unit, round_money
from .viewer_locale import DEFAULT


def parse_time(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def local_time(value, zone: str = "UTC", fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    moment = parse_time(value)
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo(zone)).strftime(fmt)


def time_tag(value, zone: str = "UTC") -> Markup:
    """A 24-hour local time in `zone`, inside <time datetime=…> so the page can show it in another zone."""
    moment = parse_time(value)
    if moment is None:
        return Markup("—")
    return Markup('<time datetime="{}">{}</time>').format(escape(moment.isoformat()), local_time(moment, zone))


def duration(seconds) -> str:
    if seconds is None:
        return "—"
    total = int(round(float(seconds)))
    hours, rest = divmod(total, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def number(value, places: int = 2, locale: str = DEFAULT) -> str:
    """A figure with `places` decimals, grouped, in the viewer's conventions ("1.234,50" for de_DE)."""
    if value is None:
        return "—"
    return format_decimal(Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP),
                          "#,##0" + ("." + "0" * places if places else ""), locale=locale)


def kwh(wh, places: int = 2, locale: str = DEFAULT) -> str:
    if wh is None:
        return "—"
    return f"{number(float(wh) / 1000, places, locale)} kWh"


def decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def money(value, currency: str = "", locale: str = DEFAULT) -> str:
    """An amount in the viewer's conventions with its currency ("1.234,50 €" for de_DE, "€1,234.50" for en_US),
    rounded half-up to the currency's minor unit first (the invoice rule: settlement/currency.py)."""
    amount = decimal(value)
    if amount is None:
        return "—"
    if not currency:  # an amount whose currency the page does not know: the number alone
        return format_decimal(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "#,##0.00", locale=locale)
    return format_currency(round_money(amount, currency), currency, locale=locale)


@pass_context
def _money_filter(context, value, currency: str = "") -> str:
    # The page passes `locale` (viewer_locale.request_locale); a template rendered without one uses the default.
    return money(value, currency, context.get("locale") or DEFAULT)


@pass_context
def _money_input_filter(context, value, currency: str) -> str:
    """An amount to edit, as the viewer types numbers ("1,21" in de_DE): no currency sign, no grouping."""
    amount = decimal(value)
    if amount is None:
        return ""
    digits = minor_unit(currency)
    return format_decimal(round_money(amount, currency), "0" + ("." + "0" * digits if digits else ""),
                          locale=context.get("locale") or DEFAULT)


@pass_context
def _number_filter(context, value, places: int = 2) -> str:
    return number(value, places, context.get("locale") or DEFAULT)


@pass_context
def _kwh_filter(context, wh, places: int = 2) -> str:
    return kwh(wh, places, context.get("locale") or DEFAULT)


def install(env) -> None:
    env.filters.update(local_time=local_time, time_tag=time_tag, duration=duration, kwh=_kwh_filter, number=_number_filter,
                       money=_money_filter,
                       money_input=_money_input_filter)
