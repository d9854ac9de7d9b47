"""Reading one cell as the mapping declares it: numbers with a decimal comma, local times with odd year forms."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .mapping import DURATION_UNITS, ENERGY_UNITS, Mapping


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


EXCEL_EPOCH = datetime(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug makes day 60 the phantom 29 Feb)
EPOCHS = {"epoch_s": 1, "epoch_ms": 1000}
_UTC_NAMES = {"UTC": timezone.utc, "GMT": timezone.utc, "Z": timezone.utc, "UT": timezone.utc}
_TRAILING_ZONE = re.compile(r"\s*\(?([A-Za-z]{1,6})\)?$")
_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d\d?):?(\d\d)?$")


def zone_of(mapping: Mapping, text: str) -> tzinfo:
    """A zone written in a cell: an IANA name, an abbreviation the mapping declares (or UTC/GMT/Z), an offset."""
    text = text.strip()
    if text.upper() in _UTC_NAMES:
        return timezone.utc
    if text in mapping.zone_abbreviations:
        return mapping.zone_abbreviations[text]
    offset = _OFFSET.match(text)
    if offset:
        sign, hours, minutes = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadValue(f"time zone {text!r} is not an IANA name, an offset or an abbreviation declared in "
                       f"[time] abbreviations") from None


def moment(mapping: Mapping, column: str, raw: str, zone: tzinfo | None = None) -> datetime:
    return timed(mapping, column, raw, zone)[0]


def timed(mapping: Mapping, column: str, raw: str, zone: tzinfo | None = None) -> tuple[datetime, str | None]:
    """A UTC time, and why it needs a data-quality flag (a local time that DST makes ambiguous or skips).

    A zone written in the cell (%z, %Z, GMT, Z) wins; then `zone` (the row's or site's), then the mapping's.
    """
    text = raw.strip()
    zone = zone or mapping.zone
    for fmt in mapping.date_formats:
        if fmt in EPOCHS or fmt == "excel":
            parsed = _serial(fmt, text)
            if parsed is None:
                continue
            return parsed, None
        written_zone = None
        pattern = fmt
        if "%Z" in fmt:  # strptime reads only a few names for %Z and then drops them: read the name ourselves
            found = _TRAILING_ZONE.search(text)
            if not found or not fmt.rstrip().endswith("%Z"):
                continue
            try:
                written_zone = zone_of(mapping, found.group(1))
            except BadValue as exc:
                raise BadValue(f"{column} {raw!r}: {exc}") from None
            text_part, pattern = text[:found.start()], fmt.rstrip()[:-2].rstrip()
        else:
            text_part = text
        try:
            parsed = datetime.strptime(text_part, pattern)
        except ValueError:
            continue
        try:
            parsed = _fix_year(mapping, fmt, parsed)
        except ValueError:
            raise BadValue(f"{column} {raw!r} has a day that does not exist in its corrected year") from None
        if parsed.year < 1970:
            hint = " (declare [time] century = 2000 for years written like 0014)" if parsed.year < 100 else ""
            raise BadValue(f"{column} {raw!r} is in the year {parsed.year}{hint}")
        if parsed.tzinfo is not None:
            return parsed.astimezone(timezone.utc), None
        if written_zone is not None:
            return parsed.replace(tzinfo=written_zone).astimezone(timezone.utc), None
        return _local(mapping, column, raw, parsed, zone)
    raise BadValue(f"{column} {raw!r} matches none of the date formats {', '.join(mapping.date_formats)}")


def _local(mapping: Mapping, column: str, raw: str, parsed: datetime, zone: tzinfo) -> tuple[datetime, str | None]:
    earlier = parsed.replace(tzinfo=zone, fold=0)
    later = parsed.replace(tzinfo=zone, fold=1)
    if earlier.utcoffset() == later.utcoffset():
        return earlier.astimezone(timezone.utc), None
    chosen = later if mapping.ambiguous == "later" else earlier
    back = chosen.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None)
    kind = "does not exist (clocks went forward)" if back != parsed else "happens twice (clocks went back)"
    return chosen.astimezone(timezone.utc), (f"{column} {raw!r} {kind} in {zone}; read with the {mapping.ambiguous} "
                                             f"offset ({chosen.utcoffset()})")


def _serial(fmt: str, text: str) -> datetime | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    if fmt == "excel":
        return (EXCEL_EPOCH + timedelta(days=float(value))).replace(tzinfo=timezone.utc)
    return datetime.fromtimestamp(float(value / EPOCHS[fmt]), timezone.utc)


_ENERGY_SUFFIX = re.compile(r"^(.*?)\s*(kwh|wh|mwh)$", re.IGNORECASE)
_WH_PER = {"wh": 1, "kwh": 1000, "mwh": 1_000_000}


def energy(mapping: Mapping, column: str, raw: str) -> Decimal:
    """Wh from a number in the mapping's unit, or with its own unit written after it ("17 kWh", "17000 Wh")."""
    found = _ENERGY_SUFFIX.match(raw.strip())
    if found:
        return number(mapping, column, found.group(1)) * _WH_PER[found.group(2).lower()]
    return number(mapping, column, raw) * ENERGY_UNITS[mapping.energy_unit]


_DURATION_SUFFIX = re.compile(r"^(.*?)\s*(h|hr|hrs|hours?|min|mins|minutes?|s|sec|secs|seconds?)$", re.IGNORECASE)
_SECONDS_PER = {"h": 3600, "m": 60, "s": 1}


def duration(mapping: Mapping, column: str, raw: str) -> timedelta:
    """A duration as `h:mm:ss` / `h:mm`, a number with its unit written after it ("95 min", "1,5 h"), or a
    number in the mapping's unit."""
    text = raw.strip()
    found = _DURATION_SUFFIX.match(text)
    if found and found.group(1):
        value = number(mapping, column, found.group(1))
        if value < 0:
            raise BadValue(f"{column} {raw!r} is a negative duration")
        return timedelta(seconds=float(value * _SECONDS_PER[found.group(2)[0].lower()]))
    if ":" in text:
        parts = text.split(":")
        try:
            if len(parts) not in (2, 3) or not all(p.strip().isdigit() for p in parts):
                raise ValueError
            h, m, sec = (int(p) for p in (parts + ["0"])[:3])
        except ValueError:
            raise BadValue(f"{column} {raw!r} is not a duration like 1:30:00") from None
        return timedelta(hours=h, minutes=m, seconds=sec)
    value = number(mapping, column, text)
    if value < 0:
        raise BadValue(f"{column} {raw!r} is a negative duration")
    return timedelta(seconds=float(value * DURATION_UNITS[mapping.duration_unit]))


_UTF8 = ("utf-8", "utf-8-sig", "utf8")


def fallback_encoding(encodings: tuple[str, ...]) -> str:
    """The encoding a file that is not valid UTF-8 is read in: the first declared one that is not UTF-8."""
    return next((e for e in encodings if e.lower().replace("_", "-") not in _UTF8), "utf-8")


def decode(data: bytes, encodings: tuple[str, ...]) -> tuple[str, str]:
    """The file's text, by one rule for the whole file: valid UTF-8 is read as UTF-8, whatever else is declared
    (so "ZÜRICH" never becomes "ZÃœRICH"); otherwise the first declared non-UTF-8 encoding. A byte that encoding
    cannot read stays in the text as a lone surrogate (`undecodable` finds it), so only its row is rejected."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    fallback = fallback_encoding(encodings)
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


_PLAIN_FORMAT = re.compile(r"^(?:[^%]|%[dmYHMSbBf%T])*$")  # no %y (pivot), %z/%Z (zones), %p, %j…


def read_times(mapping: Mapping, texts: list[str]) -> dict[str, datetime]:
    """UTC times for many cells at once (Arrow), for the cells `timed` would read in the mapping's zone with no
    flag; any other cell is left out and read by `timed` one by one. A cell is only taken when it is exactly the
    mapping's first format written back (Arrow's strptime accepts 31 February as 3 March; Python does not), in
    1970 or later, and means one instant in the zone (not a DST gap or overlap)."""
    fmt = mapping.date_formats[0]
    if not texts or fmt in EPOCHS or fmt == "excel" or not _PLAIN_FORMAT.match(fmt) or mapping.century is not None:
        return {}
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = pa.array(texts, pa.string())
    local = pc.strptime(cells, format=fmt, unit="us", error_is_null=True)
    exact = pc.and_(pc.equal(pc.strftime(local, format=fmt), cells), pc.greater_equal(pc.year(local), 1970))
    if mapping.time_zone.upper() in _UTC_NAMES:
        utc = local
    else:
        earliest = pc.assume_timezone(local, mapping.time_zone, ambiguous="earliest", nonexistent="earliest")
        latest = pc.assume_timezone(local, mapping.time_zone, ambiguous="latest", nonexistent="latest")
        exact = pc.and_(exact, pc.equal(earliest, latest))
        utc = earliest.cast(pa.timestamp("us"))
    taken = pc.filter(pa.array(range(len(texts))), pc.fill_null(exact, False)).to_pylist()
    moments = pc.take(utc, pa.array(taken, pa.int64())).to_pylist()
    return {texts[i]: moment.replace(tzinfo=timezone.utc) for i, moment in zip(taken, moments)}
