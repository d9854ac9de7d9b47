"""A session-history mapping: how one source's CSV file says what a session is. Declared in TOML, checked on load.

A new source needs a new mapping file, not new code. The shipped mappings in `mappings/` are worked examples.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..domain.network import ConnectorStandard

SHIPPED = Path(__file__).parent / "mappings"
ENERGY_UNITS = {"kWh": 1000, "Wh": 1}
DURATION_UNITS = {"hours": 3600, "minutes": 60, "seconds": 1}
MISSING_STOP = ("reject", "close_at_start")


_STANDARDS = {s.value.casefold().replace(" ", ""): s for s in ConnectorStandard}


def connector_standard(text: str) -> ConnectorStandard | None:
    """A connector type by its name, without regard to case or spaces (`type2`, `Type 2`, `ccs`)."""
    return _STANDARDS.get(text.casefold().replace(" ", ""))


class MappingError(ValueError):
    """The mapping itself is wrong: nothing is imported until it is fixed."""


@dataclass(frozen=True)
class Columns:
    session_id: str
    start: str | tuple[str, ...]           # several columns (date, time) are joined with a space
    energy: str
    stop: str | tuple[str, ...] | None = None
    time_zone: str | None = None           # the row's zone: IANA name, declared abbreviation or offset
    duration: str | None = None
    station: str | None = None
    site: str | None = None
    evse: str | None = None                # an EVSE ID (eMI3: NL*ABC*E1234*1), created on first sight
    connector: str | None = None           # the connector's number on its EVSE
    connector_type: str | None = None      # Type 2, CCS…: for connectors the import creates
    driver: str | None = None
    token: str | None = None
    token_type: str | None = None          # RFID, APP_USER, AD_HOC_USER or OTHER (OCPI's token types)
    network: str | None = None             # the roaming network the session came through (OCPI, Hubject, Girève)
    operator: str | None = None            # with network: the operator's ID (e.g. NL*ABC)
    provider: str | None = None            # with network: the eMSP's ID
    amount: str | None = None
    currency: str | None = None
    start_source: str | None = None
    custom: tuple[str, ...] = ()  # kept as the session's custom fields
    optional: tuple[str, ...] = ()  # columns some files of the source lack: read as empty there

    def named(self) -> list[str]:
        single = [self.session_id, self.energy, self.duration, self.station, self.site, self.evse, self.connector,
                  self.connector_type, self.time_zone,
                  self.driver, self.token, self.token_type, self.network, self.operator, self.provider,
                  self.amount, self.currency, self.start_source]
        joined = [*_several(self.start), *_several(self.stop)]
        return list(dict.fromkeys(c for c in (*single, *joined, *self.custom) if c))


def _several(column: str | tuple[str, ...] | None) -> tuple[str, ...]:
    return (column,) if isinstance(column, str) else column or ()


@dataclass(frozen=True)
class Mapping:
    name: str                 # the source name in external keys: import:{name}:{row session id}
    columns: Columns
    file_format: str | None = None       # csv, json, jsonl or xlsx; else from the file name
    json_records: str | None = None      # the dotted key holding the array of records in a JSON document
    sheet: str | None = None             # xlsx: the sheet, else the first
    header_row: int = 1                  # xlsx: the row holding the column names
    delimiter: str = ","
    decimal_comma: bool = False
    thousands_separator: str | None = None
    encodings: tuple[str, ...] = ("utf-8-sig",)
    null_values: tuple[str, ...] = ("",)
    date_formats: tuple[str, ...] = ("%Y-%m-%d %H:%M:%S",)
    time_zone: str = "UTC"               # the zone times are read in (no zone in the cell or row)
    site_time_zone: str | None = None    # the zone of sites created by the import, when not time_zone
    ambiguous: str = "earlier"           # a local time DST makes ambiguous (or skips): which offset; flagged
    zone_abbreviations: dict = field(default_factory=dict)  # "MST" -> tzinfo, for %Z and zone columns
    century: int | None = None           # years written below 100 (0014) mean century + year (2014)
    two_digit_year_pivot: int = 69       # %y: below the pivot is 20yy, else 19yy
    energy_unit: str = "kWh"
    duration_unit: str = "hours"
    currency: str | None = None          # when no column holds it
    stop_is_unplug: bool = False         # the stop time is when the vehicle left (plug-out)
    missing_stop: str = "reject"
    value_tables: dict = field(default_factory=dict)  # column -> {value in the file: value imported}
    defaults: dict = field(default_factory=dict)      # column -> the value an empty cell or a missing column reads as
    skip: tuple = ()                     # (column, values): rows left out on purpose (e.g. still open at export)
    max_power_kw: float = 350.0          # more energy than this × plug time is flagged implausible
    max_session_hours: float = 168.0     # a longer session is flagged implausible
    organisation: str | None = None
    site: str | None = None              # site the sessions belong to; "{org}" is replaced by the organisation
    site_name: str | None = None         # create the site when missing (in the mapping's time zone)
    site_country: str | None = None
    auto_create_stations: bool = False
    station_prefix: str = ""
    auto_create_sites: bool = False      # one site per value of the site column
    auto_create_evses: bool = False      # EVSEs and connectors a row names are created on its station
    connector_type: str | None = None    # of connectors created, when no connector_type column says
    connector_kw: float | None = None    # rated power of connectors created
    site_prefix: str = ""
    create_drivers: bool = False
    driver_prefix: str = ""
    description: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def missing(self, header: list[str]) -> list[str]:
        """Columns the mapping needs that the file's header lacks (listed in `optional` or with a default: may lack)."""
        return [c for c in self.columns.named()
                if c not in header and c not in self.columns.optional and c not in self.defaults]


def _get(table: dict, key: str, kind: type, where: str, default: Any = None, required: bool = False) -> Any:
    if key not in table:
        if required:
            raise MappingError(f"[{where}] needs `{key}`")
        return default
    value = table[key]
    if kind is tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise MappingError(f"[{where}] `{key}` is a list of strings")
        return tuple(value)
    if kind in (int, (int, float)) and isinstance(value, bool) or not isinstance(value, kind):
        name = "number" if isinstance(kind, tuple) else kind.__name__
        raise MappingError(f"[{where}] `{key}` must be a {name}, not {value!r}")
    return value


def _check_known(table: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise MappingError(f"[{where}] has unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}")


def parse_mapping(data: dict[str, Any]) -> Mapping:
    sections = {"source", "file", "time", "columns", "units", "rules", "network", "values", "defaults"}
    _check_known(data, sections, "mapping")
    source, file, time = data.get("source", {}), data.get("file", {}), data.get("time", {})
    cols, units, rules, net = (data.get("columns", {}), data.get("units", {}), data.get("rules", {}),
                               data.get("network", {}))
    _check_known(source, {"name", "description"}, "source")
    _check_known(file, {"format", "records", "sheet", "header_row", "delimiter", "decimal_comma",
                        "thousands_separator", "encodings", "null_values"}, "file")
    _check_known(time, {"formats", "time_zone", "century", "two_digit_year_pivot", "ambiguous", "abbreviations"},
                 "time")
    _check_known(cols, set(Columns.__dataclass_fields__), "columns")
    _check_known(units, {"energy", "duration", "currency"}, "units")
    _check_known(rules, {"skip", "stop_is_unplug", "missing_stop", "max_power_kw", "max_session_hours"}, "rules")
    _check_known(net, {"site_time_zone", "organisation", "site", "site_name", "site_country", "auto_create_stations",
                       "station_prefix", "auto_create_sites", "site_prefix", "create_drivers", "driver_prefix",
                       "auto_create_evses", "connector_type", "connector_kw"},
                 "network")
    lists = {"custom", "optional"} | {k for k in ("start", "stop") if isinstance(cols.get(k), list)}
    columns = Columns(**{k: _get(cols, k, tuple if k in lists else str, "columns") for k in cols})
    if not cols.get("session_id") or not cols.get("start") or not cols.get("energy"):
        raise MappingError("[columns] needs session_id, start and energy")
    if bool(columns.stop) == bool(columns.duration):
        raise MappingError("[columns] needs exactly one of stop or duration")
    mapping = Mapping(
        name=_get(source, "name", str, "source", required=True),
        description=_get(source, "description", str, "source", ""),
        columns=columns,
        file_format=_get(file, "format", str, "file"),
        json_records=_get(file, "records", str, "file"),
        sheet=_get(file, "sheet", str, "file"),
        header_row=_get(file, "header_row", int, "file", 1),
        delimiter=_get(file, "delimiter", str, "file", ","),
        decimal_comma=_get(file, "decimal_comma", bool, "file", False),
        thousands_separator=_get(file, "thousands_separator", str, "file"),
        encodings=_get(file, "encodings", tuple, "file", ("utf-8-sig",)),
        null_values=_get(file, "null_values", tuple, "file", ("",)),
        date_formats=_get(time, "formats", tuple, "time", ("%Y-%m-%d %H:%M:%S",)),
        time_zone=_get(time, "time_zone", str, "time", "UTC"),
        site_time_zone=_get(net, "site_time_zone", str, "network"),
        ambiguous=_get(time, "ambiguous", str, "time", "earlier"),
        zone_abbreviations=_abbreviations(_get(time, "abbreviations", dict, "time", {})),
        century=_get(time, "century", int, "time"),
        two_digit_year_pivot=_get(time, "two_digit_year_pivot", int, "time", 69),
        energy_unit=_get(units, "energy", str, "units", "kWh"),
        duration_unit=_get(units, "duration", str, "units", "hours"),
        currency=_get(units, "currency", str, "units"),
        stop_is_unplug=_get(rules, "stop_is_unplug", bool, "rules", False),
        missing_stop=_get(rules, "missing_stop", str, "rules", "reject"),
        value_tables=_value_tables(data.get("values", {})),
        defaults=_defaults(data.get("defaults", {}), columns),
        skip=_skips(rules.get("skip", [])),
        max_power_kw=float(_get(rules, "max_power_kw", (int, float), "rules", 350.0)),
        max_session_hours=float(_get(rules, "max_session_hours", (int, float), "rules", 168.0)),
        organisation=_get(net, "organisation", str, "network"),
        site=_get(net, "site", str, "network"),
        site_name=_get(net, "site_name", str, "network"),
        site_country=_get(net, "site_country", str, "network"),
        auto_create_stations=_get(net, "auto_create_stations", bool, "network", False),
        station_prefix=_get(net, "station_prefix", str, "network", ""),
        auto_create_sites=_get(net, "auto_create_sites", bool, "network", False),
        auto_create_evses=_get(net, "auto_create_evses", bool, "network", False),
        connector_type=_get(net, "connector_type", str, "network"),
        connector_kw=_get(net, "connector_kw", (int, float), "network"),
        site_prefix=_get(net, "site_prefix", str, "network", ""),
        create_drivers=_get(net, "create_drivers", bool, "network", False),
        driver_prefix=_get(net, "driver_prefix", str, "network", ""),
    )
    _validate(mapping)
    return mapping


def _value_tables(tables: dict) -> dict:
    """[values.COLUMN] "value in the file" = "value imported"; a value not in the table is kept as written."""
    for column, table in tables.items():
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise MappingError(f"[values.{column}] maps each value of the file to a text")
    return dict(tables)


def _defaults(table: Any, columns: Columns) -> dict[str, str]:
    """[defaults] COLUMN = "value": what an empty cell of that column, or the column missing from a file, reads as
    (as if written in the file, so [values] tables apply to it). A default makes its column optional."""
    if not isinstance(table, dict):
        raise MappingError("[defaults] maps a column to the value its empty cells read as")
    named = set(columns.named())
    for column, value in table.items():
        if column not in named:
            raise MappingError(f"[defaults] {column}: no [columns] entry names that column")
        if not isinstance(value, str):
            raise MappingError(f"[defaults] {column} is a text as it would be written in the file, not {value!r}")
    return dict(table)


def _skips(rules: Any) -> tuple:
    """[[rules.skip]] column = "status", values = ["Charging"]: such rows are counted as skipped, not imported."""
    if not isinstance(rules, list):
        raise MappingError("[rules] skip is a list of {column, values}")
    skips = []
    for rule in rules:
        if not isinstance(rule, dict) or set(rule) != {"column", "values"} or not isinstance(rule["values"], list):
            raise MappingError(f"[rules] skip entries are {{column = \"...\", values = [...]}}, not {rule!r}")
        skips.append((str(rule["column"]), tuple(str(v) for v in rule["values"])))
    return tuple(skips)


def _abbreviations(table: dict) -> dict:
    """`MST = "-07:00"` or `CET = "Europe/Paris"`: an abbreviation is a fixed offset, or a zone's standard name."""
    zones = {}
    for name, value in table.items():
        if not isinstance(value, str):
            raise MappingError(f"[time] abbreviations: {name} is an offset like \"-07:00\" or an IANA zone")
        sign, rest = value[:1], value[1:]
        if sign in "+-" and sign and len(rest) == 5 and rest[2] == ":" and (rest[:2] + rest[3:]).isdigit():
            delta = timedelta(hours=int(rest[:2]), minutes=int(rest[3:]))
            zones[name] = timezone(-delta if sign == "-" else delta, name)
            continue
        try:
            zones[name] = ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise MappingError(f"[time] abbreviations: {name} = {value!r} is neither an offset nor an IANA zone") \
                from None
    return zones


def _validate(m: Mapping) -> None:
    if m.file_format not in (None, "csv", "json", "jsonl", "xlsx"):
        raise MappingError(f"[file] format is one of csv, json, jsonl, xlsx, not {m.file_format!r}")
    if m.header_row < 1:
        raise MappingError("[file] header_row counts from 1")
    if m.ambiguous not in ("earlier", "later"):
        raise MappingError(f"[time] ambiguous is earlier or later, not {m.ambiguous!r}")
    if m.site_time_zone:
        try:
            ZoneInfo(m.site_time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise MappingError(f"[network] site_time_zone {m.site_time_zone!r} is not an IANA time zone") from None
    if len(m.delimiter) != 1:
        raise MappingError(f"[file] delimiter must be one character, not {m.delimiter!r}")
    try:
        ZoneInfo(m.time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise MappingError(f"[time] time_zone {m.time_zone!r} is not an IANA time zone") from exc
    for encoding in m.encodings:
        try:
            "".encode(encoding)
        except LookupError as exc:
            raise MappingError(f"[file] encoding {encoding!r} is unknown") from exc
    if m.energy_unit not in ENERGY_UNITS:
        raise MappingError(f"[units] energy is one of {', '.join(ENERGY_UNITS)}, not {m.energy_unit!r}")
    if m.duration_unit not in DURATION_UNITS:
        raise MappingError(f"[units] duration is one of {', '.join(DURATION_UNITS)}, not {m.duration_unit!r}")
    if m.missing_stop not in MISSING_STOP:
        raise MappingError(f"[rules] missing_stop is one of {', '.join(MISSING_STOP)}, not {m.missing_stop!r}")
    if m.century is not None and m.century % 100:
        raise MappingError(f"[time] century is a multiple of 100 such as 2000, not {m.century}")
    if not 0 <= m.two_digit_year_pivot <= 99:
        raise MappingError("[time] two_digit_year_pivot is between 0 and 99")
    if m.max_power_kw <= 0 or m.max_session_hours <= 0:
        raise MappingError("[rules] max_power_kw and max_session_hours are positive")
    if m.columns.amount and not (m.columns.currency or m.currency):
        raise MappingError("an amount needs a currency: [units] currency or [columns] currency")
    if (m.columns.operator or m.columns.provider) and not m.columns.network:
        raise MappingError("[columns] operator and provider need [columns] network (the roaming network)")
    if (m.columns.connector or m.columns.connector_type) and not m.columns.evse:
        raise MappingError("[columns] connector and connector_type need [columns] evse (the EVSE ID)")
    if m.auto_create_evses and (not m.columns.evse or not m.connector_kw or m.connector_kw <= 0):
        raise MappingError("[network] auto_create_evses needs [columns] evse and [network] connector_kw (the rated "
                           "power of the connectors it creates)")
    if m.connector_type is not None and connector_standard(m.connector_type) is None:
        raise MappingError(f"[network] connector_type is one of {', '.join(ConnectorStandard)}, not "
                           f"{m.connector_type!r}")
    if m.auto_create_sites and not m.columns.site:
        raise MappingError("[network] auto_create_sites needs [columns] site")
    if not m.site and not m.columns.site:
        raise MappingError("[network] site (or [columns] site) says which site the sessions belong to")


def load_mapping(path: str | Path) -> Mapping:
    """Read a mapping file; a bare name such as `trondheim_residential` means a shipped mapping."""
    path = Path(path)
    if not path.exists() and (SHIPPED / f"{path.name}.toml").exists():
        path = SHIPPED / f"{path.name}.toml"
    try:
        with path.open("rb") as handle:
            return parse_mapping(tomllib.load(handle))
    except FileNotFoundError as exc:
        raise MappingError(f"mapping {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"mapping {path} is not valid TOML: {exc}") from exc
