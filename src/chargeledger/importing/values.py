"""Reading one cell as the mapping declares it: numbers with a decimal comma, local times with odd year forms."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from .mapping import Mapping


class BadValue(ValueError):
    """One cell cannot be read; the message names the column and the value."""


def number(mapping: Mapping, column: str, raw: str) -> Decimal:
    text = raw.strip().replace("\u00a0", "").replace(" ", "")
    if mapping.thousands_separator:
        text = text.replace(mapping.thousands_separator, "")
    if mapping.decimal_comma:
        if "." in text and not mapping.thousands_separator:
            raise BadValue(f"{column} {raw!r} has a point but the file uses a decimal comma")
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadValue(f"{column} {raw!r} is not a number") from None
    if not value.is_finite():
        raise BadValue(f"{column} {raw!r} is not a finite number")
    return value


def _fix_year(mapping: Mapping, fmt: str, parsed: datetime) -> datetime:
    if "%y" in fmt:
        yy = parsed.year % 100
        return parsed.replace(year=(2000 if yy < mapping.two_digit_year_pivot else 1900) + yy)
    if mapping.century is not None and parsed.year < 100:
        return parsed.replace(year=mapping.century + parsed.year)
    return parsed


def moment(mapping: Mapping, column: str, raw: str) -> datetime:
    """A UTC time from a local time in the mapping's zone (or from the offset the cell carries)."""
    text = raw.strip()
    for fmt in mapping.date_formats:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        try:
            parsed = _fix_year(mapping, fmt, parsed)
        except ValueError:
            raise BadValue(f"{column} {raw!r} has a day that does not exist in its corrected year") from None
        if parsed.year < 1970:
            hint = " (declare [time] century = 2000 for years written like 0014)" if parsed.year < 100 else ""
            raise BadValue(f"{column} {raw!r} is in the year {parsed.year}{hint}")
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=mapping.zone)
        return parsed.astimezone(timezone.utc)
    raise BadValue(f"{column} {raw!r} matches none of the date formats {', '.join(mapping.date_formats)}")


_UTF8 = ("utf-8", "utf-8-sig", "utf8")


def decode(data: bytes, encodings: tuple[str, ...]) -> tuple[str, str]:
    """The file's text, by one rule for the whole file: valid UTF-8 is read as UTF-8, whatever else is declared
    (so "ZÜRICH" never becomes "ZÃœRICH"); otherwise the first declared non-UTF-8 encoding. A byte that encoding
    cannot read stays in the text as a lone surrogate (`undecodable` finds it), so only its row is rejected."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    fallback = next((e for e in encodings if e.lower().replace("_", "-") not in _UTF8), "utf-8")
    text = data.decode(fallback, errors="surrogateescape")
    return (text[1:] if text.startswith("\ufeff") else text), fallback


def undecodable(text: str, encoding: str) -> str | None:
    """Why a cell holds bytes the file's encoding cannot read, or None."""
    for i, char in enumerate(text):
        if "\udc80" <= char <= "\udcff":
            byte = ord(char) - 0xDC00
            hint = " (declare a fallback such as cp1252 in [file] encodings)" if encoding == "utf-8" else ""
            return f"byte 0x{byte:02X} at character {i + 1} is not {encoding}{hint}"
    return None
