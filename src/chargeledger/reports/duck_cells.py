"""Each report cell as DuckDB SQL: the same text cells.as_text gives for the column's value, computed a whole batch
at a time (reports/vector_csv.py).

A column's twin is derived from how it is declared where that says everything (a field shown as it is, a time in
the viewer's zone, a span between two times); a column computed by its own Python function carries its twin in
`Column.duck`. A column with neither has no twin, and its report is written row by row instead. The twins must
give byte for byte the Python text: tests/reports/test_statement_identity.py compares both writers.

Python's Decimal keeps the sign of a zero ("-0.00" for -0.001 rounded to cents) and rounds half to even; the
macros below do the same, from a number's text where one exists (its sign then read from the text).
"""

from __future__ import annotations

import re

from ..domain.impact import countries, hundredths_per_wh
from .arrow_rows import Field, quoted
from .columns import Column, Kind, _same, minutes

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
    # whether csv.writer's minimal quoting quotes a text (compiled_raw.csv_field)
    r"""CREATE OR REPLACE MACRO cl_special(x) AS
        contains(x, ',') OR contains(x, '"') OR contains(x, chr(10)) OR contains(x, chr(13))""",
    r"""CREATE OR REPLACE MACRO cl_csv(x) AS
        CASE WHEN cl_special(x) THEN '"' || replace(x, '"', '""') || '"' ELSE x END""",
    # a signed text: "-" before the magnitude's text when the value is negative or a negative zero
    r"""CREATE OR REPLACE MACRO cl_signed(negative, magnitude) AS
        CASE WHEN negative THEN '-' || magnitude ELSE magnitude END""",
    # cells.money_text of an exact value v whose zero sign is `negative`: cents, or four places where the
    # amount has sub-cent precision
    r"""CREATE OR REPLACE MACRO cl_money_value(v, negative) AS
        cl_signed(v < 0 OR (v = 0 AND negative),
                  CASE WHEN round_even(abs(v), 2) = round_even(abs(v), 4)
                       THEN CAST(round_even(abs(v), 2) AS VARCHAR)
                       ELSE CAST(round_even(abs(v), 4) AS VARCHAR) END)""",
    r"""CREATE OR REPLACE MACRO cl_money(t) AS
        cl_money_value(CAST(t AS DECIMAL(38, 18)), starts_with(t, '-'))""",
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
    # cells.hh_mm_ss of a whole number of seconds
    r"""CREATE OR REPLACE MACRO cl_hms(s) AS
        cl_signed(s < 0, printf('%02d', abs(s) // 3600) || ':' ||
                         lpad(CAST(abs(s) % 3600 // 60 AS VARCHAR), 2, '0') || ':' ||
                         lpad(CAST(abs(s) % 60 AS VARCHAR), 2, '0'))""",
    # columns.minutes: whole seconds / 60, to cents of a minute, half to even
    r"""CREATE OR REPLACE MACRO cl_hundredths(n) AS
        n // 60 + CASE WHEN 2 * (n % 60) > 60 OR (2 * (n % 60) = 60 AND (n // 60) % 2 = 1) THEN 1 ELSE 0 END""",
    r"""CREATE OR REPLACE MACRO cl_minutes(s) AS
        cl_signed(s < 0, CAST(cl_hundredths(abs(s) * 100) // 100 AS VARCHAR) || '.' ||
                         lpad(CAST(cl_hundredths(abs(s) * 100) % 100 AS VARCHAR), 2, '0'))""",
    # columns.kilowatt_hours of a float of Wh: whole Wh half to even, shown as kWh with three places
    r"""CREATE OR REPLACE MACRO cl_kwh(wh) AS
        cl_signed(signbit(wh), CAST(CAST(round_even(abs(wh), 0) AS BIGINT) // 1000 AS VARCHAR) || '.' ||
                               lpad(CAST(CAST(round_even(abs(wh), 0) AS BIGINT) % 1000 AS VARCHAR), 3, '0'))""",
    # local_clock.offset_text: strftime's %z of an offset in seconds, +HHMM and SS only when not zero
    r"""CREATE OR REPLACE MACRO cl_offset(s) AS
        CASE WHEN s < 0 THEN '-' ELSE '+' END || lpad(CAST(abs(s) // 3600 AS VARCHAR), 2, '0') ||
        lpad(CAST(abs(s) % 3600 // 60 AS VARCHAR), 2, '0') ||
        CASE WHEN abs(s) % 60 <> 0 THEN lpad(CAST(abs(s) % 60 AS VARCHAR), 2, '0') ELSE '' END""",
)

_SAFE_TIME_FORMAT = re.compile(r"^(?:[^%]|%[YmdHMS%])*$")  # directives DuckDB's strftime writes as Python's
_QUOTED_KINDS = {Kind.TEXT, Kind.JSON, Kind.DATETIME}  # the others' texts never hold a comma, quote or line break
_GROUP = 12  # cells checked for quoting together (8 to 24 measured alike)


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def field_value(field: Field) -> str:
    """The field in the form a twin reads: a numeric as its Decimal's text (SQLite gives a float: see arrow_rows)."""
    name = quoted(field.name)
    if field.form == "numeric" and field.float_stored:
        return f"printf('%.{field.scale}f', {name})"
    if field.form == "time" and field.timestamp:
        return f"epoch_us({name})"
    return name


def fields_view(fields: list[Field]) -> str:
    """The select list turning a fetched batch into the fields the twins read."""
    return ", ".join(f"{field_value(field)} AS {quoted(field.name)}" for field in fields)


class NoTwin(Exception):
    """A column without a DuckDB twin: its report is written row by row."""


def _as_text(field: Field) -> str:
    """str(value) of the field's Python value, as a TEXT cell shows it."""
    name = quoted(field.name)
    if field.form in ("text", "numeric"):
        return name
    if field.form == "integer":
        return f"CAST({name} AS VARCHAR)"
    if field.form == "boolean":
        return f"CASE WHEN {name} THEN 'True' ELSE 'False' END"
    raise NoTwin(f"{field.name}: str() of a {field.form}")


def _number_text(field: Field) -> str:
    name = quoted(field.name)
    if field.form == "numeric":
        return name
    if field.form == "integer":
        return f"CAST({name} AS VARCHAR)"
    raise NoTwin(f"{field.name}: an exact number from a {field.form}")


def _cut(text: str, digits: int) -> str:
    return f"left({text}, length({text}) - {digits})" if digits else text


def money_of_text(text: str, scale: int) -> str:
    """cells.money_text of a number's text with exactly `scale` decimals (a fixed-point field's): cut at cents or
    at four places where the digits cut are zeros, the exact path only for a sub-cent amount past four places."""
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
    return f"CASE WHEN suffix({text}, '{'0' * (scale - places)}') THEN {_cut(text, cut)} ELSE cl_fixed({text}, {places}) END"


def co2_saved_sql(energy_wh: str, country: str) -> str:
    """domain.impact.co2_saved_kg's text (f"{value:f}") over a DOUBLE of Wh and a country code: the same integer
    arithmetic, in HUGEINT, with each country's ratio as a literal."""
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


def _shown(column: Column, field: Field) -> str:
    """A field shown as it is, by the column's kind (cells.as_text)."""
    kind = column.kind
    if kind is Kind.TEXT:
        return f"cl_text({_as_text(field)})"
    if kind is Kind.MONEY:
        if field.form == "numeric":
            return money_of_text(quoted(field.name), field.scale)
        return f"cl_money({_number_text(field)})"
    if kind in (Kind.DECIMAL, Kind.PERCENT):
        if field.form == "numeric":
            return fixed_of_text(quoted(field.name), field.scale, column.places)
        return f"cl_fixed({_number_text(field)}, {column.places})"
    if kind is Kind.INTEGER and field.form == "integer":
        return f"CAST({quoted(field.name)} AS VARCHAR)"
    raise NoTwin(f"{column.name}: a {field.form} field shown as {kind}")


def local_time(us: str, zone: str, time_format: str) -> str:
    """Epoch µs `us` shown in `zone` with a Python strftime format (a trailing %z: the offset, as Python writes it;
    DuckDB's %z of a local time would say +00)."""
    with_offset = time_format.endswith("%z")
    if with_offset:
        time_format = time_format[:-2]
    if not _SAFE_TIME_FORMAT.match(time_format):
        raise NoTwin(f"time format {time_format!r}")
    local = f"timezone({literal(zone)}, make_timestamptz({us}))"
    shown = f"strftime({local}, {literal(time_format)})"
    if not with_offset:
        return shown
    return f"{shown} || cl_offset((epoch_us({local}) - ({us})) // 1000000)"


def _time_field(fields: dict[str, Field], name: str) -> Field:
    field = fields.get(name)
    if field is None or field.form != "time":
        raise NoTwin(f"{name} is not a fetched time")
    return field


def cell(column: Column, fields: dict[str, Field], context) -> str:
    """The column's cell text (or NULL for an empty cell) as a DuckDB expression, before CSV quoting."""
    if column.duck is not None:
        return column.duck(context) if callable(column.duck) else column.duck
    if column.moment is not None and column.kind is Kind.DATETIME:
        moment = _time_field(fields, column.moment)
        return local_time(quoted(moment.name), context.time_zone.key, column.time_format)
    if column.span is not None:
        start, stop, shown = column.span
        seconds = (f"cl_seconds({quoted(_time_field(fields, stop).name)} - "
                   f"{quoted(_time_field(fields, start).name)})")
        if column.kind is Kind.DURATION and shown is _same:
            return f"cl_hms({seconds})"
        if column.kind is Kind.DECIMAL and shown is minutes and column.places == 2:
            return f"cl_minutes({seconds})"
        raise NoTwin(f"{column.name}: span shown by {shown}")
    if column.field is not None:
        field = fields.get(column.field)
        if field is None:
            raise NoTwin(f"{column.field} is not fetched")
        return _shown(column, field)
    raise NoTwin(f"{column.name} is computed in Python alone")


def lines_sql(columns: list[Column], fields: list[Field], context, source: str, flag: str | None = None) -> str:
    """A query of one CSV line per row of `source` (CRLF included), in its order.

    Three steps, each its own projection: the fields' forms, the cells, the quoted line. A macro repeats its
    argument, so a cell quoted in the same step as it is computed nests one macro's copies in another's, and
    DuckDB's time for that grew with the square of the number of such cells (5 s for 26,000 statement rows).
    Few cells need quotes: the cells are taken in groups, a group's texts looked at together, and only a group
    holding such a text quoted cell by cell (an address with a comma then costs its group, not the row). (concat
    takes an empty cell, NULL, as no text.) `flag`: a condition over the fields, given beside each line.
    """
    by_name = {field.name: field for field in fields}
    cells = ", ".join(f"{cell(column, by_name, context)} AS c{i}" for i, column in enumerate(columns))
    if flag is not None:
        cells += f", ({flag}) AS flag"
    groups = []
    for first in range(0, len(columns), _GROUP):
        members = list(enumerate(columns))[first:first + _GROUP]
        plain = ", ',', ".join(f"c{i}" for i, _column in members)
        texts = [f"c{i}" for i, column in members if column.kind in _QUOTED_KINDS]
        if not texts:
            groups.append(plain)
            continue
        quoting = ", ',', ".join(f"cl_csv(c{i})" if column.kind in _QUOTED_KINDS else f"c{i}"
                                 for i, column in members)
        groups.append(f"CASE WHEN cl_special(concat({', '.join(texts)})) THEN concat({quoting}) "
                      f"ELSE concat({plain}) END")
    shown = "concat(" + ", ',', ".join(groups) + ", chr(13) || chr(10))"
    return (f"SELECT {shown} AS line{', flag' if flag is not None else ''} FROM "
            f"(SELECT {cells} FROM (SELECT {fields_view(fields)} FROM {source}))")
