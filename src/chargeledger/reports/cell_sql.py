"""Every report cell as DuckDB SQL over the fetched fields: its text (NULL for an empty cell), a batch at a time.

A column's SQL is declared once, in its report (catalogue/), as text or as a function of a Scope: the fields'
fetched forms and the report's context. Money shows two decimals, or four where the amount has sub-cent precision;
numbers keep a zero's sign and round half to even, as Python's Decimal does; a text a spreadsheet would run as a
formula is neutralised. tests/reports/oracle.py renders the same cells in plain Python, to hold these to it.
"""

from __future__ import annotations

import re
from typing import Callable

from ..domain.impact import countries, hundredths_per_wh
from .reader import Field, quoted

# DuckDB macros, created once per connection. Numbers are exact DECIMALs or integers throughout; a text argument
# `t` is a decimal number's text as Decimal(t) would read it.
MACROS = (
    # cells.neutralise: a spreadsheet would run a cell starting so (a lone "-" cannot run)
    # (by the first character's code, = + - @ tab CR: no string is made to compare; not IN (...), whose
    # rewriting took DuckDB most of a third of a second to plan the statement's line query)
    r"""CREATE OR REPLACE MACRO cl_formula(code) AS
        code = 61 OR code = 43 OR code = 45 OR code = 64 OR code = 9 OR code = 13""",
    r"""CREATE OR REPLACE MACRO cl_text(x) AS
        CASE WHEN cl_formula(ascii(x)) AND x <> '-' THEN '''' || x ELSE x END""",
    # whether csv.writer's minimal quoting (excel dialect) quotes a text
    r"""CREATE OR REPLACE MACRO cl_special(x) AS
        contains(x, ',') OR contains(x, '"') OR contains(x, chr(10)) OR contains(x, chr(13))""",
    r"""CREATE OR REPLACE MACRO cl_csv(x) AS
        CASE WHEN cl_special(x) THEN '"' || replace(x, '"', '""') || '"' ELSE x END""",
    # a signed text: "-" before the magnitude's text when the value is negative or a negative zero
    r"""CREATE OR REPLACE MACRO cl_signed(negative, magnitude) AS
        CASE WHEN negative THEN '-' || magnitude ELSE magnitude END""",
    # money text of an exact value v whose zero sign is `negative`: cents, or four places for sub-cent amounts
    r"""CREATE OR REPLACE MACRO cl_money_value(v, negative) AS
        cl_signed(v < 0 OR (v = 0 AND negative),
                  CASE WHEN round_even(abs(v), 2) = round_even(abs(v), 4)
                       THEN CAST(round_even(abs(v), 2) AS VARCHAR)
                       ELSE CAST(round_even(abs(v), 4) AS VARCHAR) END)""",
    # a text in cents (a tax amount's) is its own: matching costs a tenth of the DECIMAL(38) arithmetic
    r"""CREATE OR REPLACE MACRO cl_money(t) AS CASE WHEN regexp_full_match(t, '-?(0|[1-9][0-9]*)\.[0-9]{2}') THEN t
        ELSE cl_money_value(CAST(t AS DECIMAL(38, 18)), starts_with(t, '-')) END""",
    # Decimal(t).quantize(10 ** -places), half to even
    r"""CREATE OR REPLACE MACRO cl_fixed(t, places) AS
        cl_signed(starts_with(t, '-'), CAST(round_even(abs(CAST(t AS DECIMAL(38, 18))), places) AS VARCHAR))""",
    # f"{Decimal(t).normalize():f}": trailing zeros (and a bare point) dropped
    r"""CREATE OR REPLACE MACRO cl_normal(t) AS
        CASE WHEN contains(t, '.') THEN rtrim(rtrim(t, '0'), '.') ELSE t END""",
    # whole seconds of a count of µs, rounded half to even (round() of timedelta.total_seconds())
    r"""CREATE OR REPLACE MACRO cl_seconds(us) AS
        sign(us) * (abs(us) // 1000000 + CASE WHEN abs(us) % 1000000 > 500000
            OR (abs(us) % 1000000 = 500000 AND (abs(us) // 1000000) % 2 = 1) THEN 1 ELSE 0 END)""",
    # hh:mm:ss of a whole number of seconds
    r"""CREATE OR REPLACE MACRO cl_hms(s) AS
        cl_signed(s < 0, printf('%02d', abs(s) // 3600) || ':' ||
                         lpad(CAST(abs(s) % 3600 // 60 AS VARCHAR), 2, '0') || ':' ||
                         lpad(CAST(abs(s) % 60 AS VARCHAR), 2, '0'))""",
    # minutes: whole seconds / 60, to cents of a minute, half to even
    r"""CREATE OR REPLACE MACRO cl_hundredths(n) AS
        n // 60 + CASE WHEN 2 * (n % 60) > 60 OR (2 * (n % 60) = 60 AND (n // 60) % 2 = 1) THEN 1 ELSE 0 END""",
    r"""CREATE OR REPLACE MACRO cl_minutes(s) AS
        cl_signed(s < 0, CAST(cl_hundredths(abs(s) * 100) // 100 AS VARCHAR) || '.' ||
                         lpad(CAST(cl_hundredths(abs(s) * 100) % 100 AS VARCHAR), 2, '0'))""",
    # kWh of a float of Wh: whole Wh half to even, shown as kWh with three places
    r"""CREATE OR REPLACE MACRO cl_kwh(wh) AS
        cl_signed(signbit(wh), CAST(CAST(round_even(abs(wh), 0) AS BIGINT) // 1000 AS VARCHAR) || '.' ||
                               lpad(CAST(CAST(round_even(abs(wh), 0) AS BIGINT) % 1000 AS VARCHAR), 3, '0'))""",
    # a JSON cell: the value's JSON text (compact), empty where the value is (null, {}, [], "", 0, false)
    r"""CREATE OR REPLACE MACRO cl_json(x) AS
        CASE WHEN CAST(json(x) AS VARCHAR) NOT IN ('null', '{}', '[]', '""', '0', 'false')
             THEN CAST(json(x) AS VARCHAR) END""",
    # strftime's %z of an offset in seconds, +HHMM and SS only when not zero
    r"""CREATE OR REPLACE MACRO cl_offset(s) AS
        CASE WHEN s < 0 THEN '-' ELSE '+' END || lpad(CAST(abs(s) // 3600 AS VARCHAR), 2, '0') ||
        lpad(CAST(abs(s) % 3600 // 60 AS VARCHAR), 2, '0') ||
        CASE WHEN abs(s) % 60 <> 0 THEN lpad(CAST(abs(s) % 60 AS VARCHAR), 2, '0') ELSE '' END""",
)


_SAFE_TIME_FORMAT = re.compile(r"^(?:[^%]|%[YmdHMS%])*$")  # directives DuckDB's strftime writes as Python's
_GROUP = 12  # cells checked for quoting together (8 to 24 measured alike)


def connect(memory: str = "256MB"):
    """A DuckDB connection with the macros; one thread keeps the rows in order."""
    import duckdb

    duck = duckdb.connect(config={"threads": 1, "memory_limit": memory})
    duck.execute("SET TimeZone = 'UTC'")  # epoch µs become UTC instants before moving to a zone
    for macro in MACROS:
        duck.execute(macro)
    return duck


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _cut(text: str, digits: int) -> str:
    return f"left({text}, length({text}) - {digits})" if digits else text


def money_of_text(text: str, scale: int) -> str:
    """The money text of a number's text with exactly `scale` decimals (a fixed-point field's): cut at cents or at
    four places where the digits cut are zeros, the exact path only for a sub-cent amount past four places."""
    if scale <= 2:
        return f"{text} || '{'0' * (2 - scale)}'" if scale else f"{text} || '.00'"
    if scale <= 4:  # cents when the digits past them are zeros, else four places (padded)
        return (f"CASE WHEN suffix({text}, '{'0' * (scale - 2)}') THEN {_cut(text, scale - 2)} "
                f"ELSE {text} || '{'0' * (4 - scale)}' END")
    return (f"CASE WHEN suffix({text}, '{'0' * (scale - 2)}') THEN {_cut(text, scale - 2)} "
            f"WHEN suffix({text}, '{'0' * (scale - 4)}') THEN {_cut(text, scale - 4)} ELSE cl_money({text}) END")


def fixed_of_text(text: str, scale: int, places: int) -> str:
    """Decimal(text).quantize(10 ** -places) of a number's text with exactly `scale` decimals."""
    if scale == places:
        return text
    if scale < places:
        return f"{text} || '{'.' if scale == 0 else ''}{'0' * (places - scale)}'"
    cut = scale - places + (1 if places == 0 else 0)  # no places: the point goes too
    return (f"CASE WHEN suffix({text}, '{'0' * (scale - places)}') THEN {_cut(text, cut)} "
            f"ELSE cl_fixed({text}, {places}) END")


def co2_saved_sql(energy_wh: str, country: str) -> str:
    """domain.impact.co2_saved_kg's text over a DOUBLE of Wh and a country code: the same integer arithmetic, in
    HUGEINT, with each country's ratio as a literal."""
    def by_country(part: str) -> str:
        cases = " ".join(f"WHEN {literal(code)} THEN {getattr(hundredths_per_wh(code), part)}::HUGEINT"
                         for code in countries())
        default = f"{getattr(hundredths_per_wh(None), part)}::HUGEINT"
        return f"(CASE {country} {cases} ELSE {default} END)" if cases else default

    wh = f"CAST(round_even({energy_wh}, 0) AS HUGEINT)"
    numerator, denominator = by_country("numerator"), by_country("denominator")
    product = f"({wh} * {numerator})"
    whole = f"((abs({product}) * 2 + {denominator}) // (2 * {denominator}))"  # half away from zero
    return (f"CASE WHEN isfinite({energy_wh}) AND {energy_wh} > 0 THEN "
            f"cl_signed({product} < 0 AND {whole} > 0, CAST({whole} // 100 AS VARCHAR) || '.' || "
            f"lpad(CAST({whole} % 100 AS VARCHAR), 2, '0')) END")


def local_time(us: str, zone: str, time_format: str) -> str:
    """Epoch µs `us` shown in the zone named by the SQL `zone` with a Python strftime format (a trailing %z: the
    offset, as Python writes it; DuckDB's %z of a local time would say +00)."""
    with_offset = time_format.endswith("%z")
    if with_offset:
        time_format = time_format[:-2]
    if not _SAFE_TIME_FORMAT.match(time_format):
        raise ValueError(f"time format {time_format!r} is not one DuckDB writes as Python does")
    local = f"timezone({zone}, make_timestamptz({us}))"
    shown = f"strftime({local}, {literal(time_format)})"
    if not with_offset:
        return shown
    return f"{shown} || cl_offset((epoch_us({local}) - ({us})) // 1000000)"


class Scope:
    """What a column's SQL may read: the fetched fields by name (their forms) and the report's context."""

    def __init__(self, fields: list[Field], context):
        self.fields = {field.name: field for field in fields}
        self.context = context

    def _field(self, name: str, form: str | None = None) -> Field:
        field = self.fields[name]
        if form is not None and field.form != form:
            raise ValueError(f"{name} is a {field.form}, not a {form}")
        return field

    def shown(self, name: str, kind: str, places: int = 2) -> str:
        """A field shown as it is, by the column's kind."""
        field, name = self._field(name), quoted(name)
        number = name if field.form == "numeric" else f"CAST({name} AS VARCHAR)"
        if kind == "text":
            if field.form == "boolean":
                return f"CASE WHEN {name} THEN 'True' WHEN NOT {name} THEN 'False' END"
            return f"cl_text({number})"
        if kind == "money":
            return money_of_text(name, field.scale) if field.form == "numeric" else f"cl_money({number})"
        if kind in ("decimal", "percent"):
            if field.form == "numeric":
                return fixed_of_text(name, field.scale, places)
            return f"cl_fixed({number}, {places})"
        if kind == "integer" and field.form == "integer":
            return number
        raise ValueError(f"{name}: a {field.form} field shown as {kind}")

    def local_time(self, name: str, time_format: str, zone: str | None = None) -> str:
        """A time field in the SQL `zone` (default: the viewer's)."""
        return local_time(quoted(self._field(name, "time").name),
                          zone or literal(self.context.time_zone.key), time_format)

    def seconds(self, start: str, stop: str) -> str:
        """Whole seconds from one time field to another, half to even."""
        return f"cl_seconds({quoted(self._field(stop, 'time').name)} - {quoted(self._field(start, 'time').name)})"


SQL = str | Callable[[Scope], str]


def field_value(field: Field) -> str:
    """The field in the form a cell reads: a numeric as its Decimal's text (SQLite gives a float: see reader)."""
    name = quoted(field.name)
    if field.form == "numeric" and field.sqlite:  # "%.<scale>f" of the float, as SQLAlchemy reads it
        # in 64 bits where it fits (a money amount always does): DECIMAL(38) is twice as slow to make and print
        wide = f"CAST(CAST({name} AS DECIMAL(38, {field.scale})) AS VARCHAR)"
        return wide if field.scale >= 18 else (f"CASE WHEN abs({name}) < 1e{18 - field.scale} THEN "
                                               f"{wide.replace('(38,', '(18,')} ELSE {wide} END")
    if field.form == "time":  # SQLite's text read as UTC (the connection's zone)
        return f"epoch_us(CAST({name} AS TIMESTAMP))" if field.sqlite else f"epoch_us({name})"
    return name


def cells_sql(columns: list, scope: Scope, source: str, flag: str | None = None, extra: tuple[str, ...] = (),
              overrides: dict[str, str] | None = None, wrap: Callable[[str], str] | None = None,
              derived: dict[str, str] | None = None) -> str:
    """A query of each row's cells c0, c1, … (and `extra` SQL, named x0, x1, …) over `source`, in its order.
    `flag`: a condition over the fields, beside the cells; `overrides`: a column's SQL by name, instead of its
    own; `wrap`: the rows' query (the fields in the forms cells read) -> the query the cells read instead;
    `derived`: values computed once per row for several cells (a parsed JSON list), by name."""
    overrides = overrides or {}
    view = ", ".join(f"{field_value(field)} AS {quoted(field.name)}" for field in scope.fields.values())
    rows = f"(SELECT {view} FROM {source})"
    if derived:
        rows = f"(SELECT *, {', '.join(f'{sql} AS {name}' for name, sql in derived.items())} FROM {rows})"
    cells = [f"{overrides.get(c.name) or sql_of(c, scope)} AS c{i}" for i, c in enumerate(columns)]
    cells += [f"{sql} AS x{i}" for i, sql in enumerate(extra)]
    if flag is not None:
        cells.append(f"({flag}) AS flag")
    return f"SELECT {', '.join(cells)} FROM {wrap(rows) if wrap else rows}"


def sql_of(column, scope: Scope) -> str:
    return column.sql(scope) if callable(column.sql) else column.sql


def lines_sql(columns: list, cells: str, flag: bool = False) -> str:
    """One CSV line per row of the `cells` query (CRLF included), in its order.

    Cells are computed in a step of their own: a macro repeats its argument, so quoting a cell in the step that
    computes it nests copies, and DuckDB's planning time grew with the square of such cells. Few cells need quotes:
    cells are taken in groups, a group's texts looked at together, and only a group holding such a text is quoted
    cell by cell. (concat takes an empty cell, NULL, as no text.)
    """
    quoted_kinds = ("text", "json", "datetime")  # the others' texts never hold a comma, quote or line break
    groups = []
    for first in range(0, len(columns), _GROUP):
        members = list(enumerate(columns))[first:first + _GROUP]
        plain = ", ',', ".join(f"c{i}" for i, _column in members)
        texts = [f"c{i}" for i, column in members if column.kind in quoted_kinds]
        if not texts:
            groups.append(plain)
            continue
        quoting = ", ',', ".join(f"cl_csv(c{i})" if column.kind in quoted_kinds else f"c{i}" for i, column in members)
        groups.append(f"CASE WHEN cl_special(concat({', '.join(texts)})) THEN concat({quoting}) "
                      f"ELSE concat({plain}) END")
    if len(columns) == 1:  # csv.writer quotes a row's only field when it is empty, or the line would be blank
        groups = ["coalesce(nullif(concat(" + groups[0] + "), ''), '\"\"')"]
    shown = "concat(" + ", ',', ".join(groups) + ", chr(13) || chr(10))"
    return f"SELECT {shown} AS line{', flag' if flag else ''} FROM ({cells})"
