"""Field-level checks for reading a tariff: each failed check records (field_path, reason) and parsing goes on,
so one TariffError lists every problem at once."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from chargeledger.pricing.currencies import ISO_4217_CODES

_TIME_OF_DAY = re.compile(r"([0-1][0-9]|2[0-3]):[0-5][0-9]")
_DATE = re.compile(r"([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")


class Checker:
    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def refuse(self, path: str, reason: str) -> None:
        self.problems.append((path, reason))

    def is_object(self, path: str, value: Any) -> bool:
        if isinstance(value, dict):
            return True
        self.refuse(path, "must be a JSON object")
        return False

    def known_fields(self, prefix: str, obj: dict[str, Any], allowed: tuple[str, ...]) -> None:
        # a misspelled restriction (e.g. "dayOfWeek") would otherwise silently widen the tariff
        for name in obj:
            if name not in allowed:
                self.refuse(prefix + name, "unknown field (not in OCPI 2.2.1)")

    def currency(self, path: str, obj: dict[str, Any]) -> str | None:
        code = obj.get(path)
        if code is None:
            self.refuse(path, "required")
            return None
        if not isinstance(code, str) or code not in ISO_4217_CODES:
            self.refuse(path, f"unknown currency {code!r}: not an ISO 4217 code (upper case, e.g. EUR)")
            return None
        return code

    def optional_str(self, name: str, obj: dict[str, Any], prefix: str = "") -> str | None:
        value = obj.get(name)
        if value is not None and not isinstance(value, str):
            self.refuse(prefix + name, "must be a string")
            return None
        return value

    def optional_enum(self, name: str, obj: dict[str, Any], allowed: tuple[str, ...], prefix: str = "") -> str | None:
        value = obj.get(name)
        if value is None:
            return None
        return self.required_enum(prefix + name, value, allowed)

    def required_enum(self, path: str, value: Any, allowed: tuple[str, ...]) -> str | None:
        if value is None:
            self.refuse(path, "required")
            return None
        if value not in allowed:
            self.refuse(path, f"unknown value {value!r}; expected one of {', '.join(allowed)}")
            return None
        return value

    def number(self, path: str, value: Any, required: bool) -> Decimal | None:
        if value is None:
            if required:
                self.refuse(path, "required")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            # a float here means the JSON was parsed without parse_float=Decimal: refuse rather than guess digits
            self.refuse(path, "must be a JSON number (parsed as Decimal)")
            return None
        if isinstance(value, Decimal) and not value.is_finite():
            self.refuse(path, "must be a finite number")
            return None
        return value if isinstance(value, Decimal) else Decimal(value)

    def non_negative(self, path: str, value: Any, required: bool) -> Decimal | None:
        number = self.number(path, value, required)
        if number is not None and number < 0:
            self.refuse(path, f"must not be negative (got {number})")
            return None
        return _keep_int(value, number)

    def non_negative_int(self, path: str, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.refuse(path, "must be an integer number of seconds")
            return None
        if value < 0:
            self.refuse(path, f"must not be negative (got {value})")
            return None
        return value

    def step_size(self, path: str, value: Any, unit_less: bool) -> int | None:
        if value is None:
            self.refuse(path, "required")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.refuse(path, "must be an integer")
            return None
        # FLAT has no unit, so its step is never used; real tariffs send 0 there
        if value < 0 or (value == 0 and not unit_less):
            self.refuse(path, f"must be > 0 (got {value})")
            return None
        return value

    def can_hold(self, path: str, low: str, low_value: Any, high: str, high_value: Any) -> None:
        # max_* is exclusive and min_* inclusive, so min >= max leaves no value at which the element applies
        if low_value is not None and high_value is not None and low_value >= high_value:
            self.refuse(f"{path}.{high}", f"{high} ({high_value}) is not above {low} ({low_value}): "
                                          "the element can never apply")

    def time_of_day(self, path: str, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not _TIME_OF_DAY.fullmatch(value):
            self.refuse(path, f"bad time of day {value!r}: expected HH:MM, 24h with leading zeros (00:00-23:59)")
            return None
        return value

    def date(self, path: str, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            self.refuse(path, f"bad date {value!r}: expected YYYY-MM-DD")
            return None
        try:
            date.fromisoformat(value)
        except ValueError:
            self.refuse(path, f"bad date {value!r}: no such day")
            return None
        return value

    def days(self, path: str, value: Any, allowed: tuple[str, ...]) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not isinstance(value, list):
            self.refuse(path, "must be a list of days")
            return None
        if not value:
            self.refuse(path, "empty list: the element could never apply (omit the field to mean every day)")
            return None
        for i, day in enumerate(value):
            if day not in allowed:
                self.refuse(f"{path}[{i}]", f"unknown day {day!r}")
        return tuple(value)

    def datetime_range(self, obj: dict[str, Any]) -> tuple[str | None, str | None]:
        start = self._datetime("start_date_time", obj.get("start_date_time"))
        end = self._datetime("end_date_time", obj.get("end_date_time"))
        if start and end and parse_utc(end) <= parse_utc(start):
            self.refuse("end_date_time", f"is not after start_date_time ({start})")
        return start, end

    def _datetime(self, path: str, value: Any) -> str | None:
        if value is None:
            return None
        try:
            parse_utc(value)
        except (TypeError, ValueError):
            self.refuse(path, f"bad date-time {value!r}: expected RFC 3339 UTC, e.g. 2015-06-29T20:39:09Z")
            return None
        return value


def parse_utc(value: str) -> datetime:
    """An OCPI DateTime as an aware datetime; a value without offset is UTC, as OCPI says."""
    if not isinstance(value, str):
        raise TypeError("date-time must be a string")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        from datetime import timezone

        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def _keep_int(raw: Any, number: Decimal | None) -> Any:
    # keep JSON integers as int so the tariff serialises back to the same text
    if number is None:
        return None
    return raw if isinstance(raw, int) else number
