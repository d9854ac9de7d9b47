"""Jinja filters: times in the viewer's zone, durations, energy and money as people read them."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape


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


def kwh(wh, places: int = 2) -> str:
    if wh is None:
        return "—"
    return f"{float(wh) / 1000:,.{places}f} kWh"


def decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def money(value, currency: str = "") -> str:
    amount = decimal(value)
    if amount is None:
        return "—"
    shown = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{currency} {shown:,.2f}".strip()


def install(env) -> None:
    env.filters.update(local_time=local_time, time_tag=time_tag, duration=duration, kwh=kwh, money=money)
