"""A report's visible columns compiled into one function from the driver's raw row tuple to its CSV line.

Each cell's text is remembered, already quoted for CSV, by the raw values of the fields its column reads
(reports/fields.py): the value functions are functions of the row and the report's context only, so equal fields
give the same text. Neighbouring columns whose fields together take few values (a station's name, site, country
and connector; a settlement's fee columns) are remembered together as one run of CSV text, so a row costs one
lookup per run rather than one per column; the runs are chosen from the first rows of the report (a sample), which
decides speed only, never the text. A row with a new run builds the converted row the value functions read, once
for all its columns. Fields whose raw values are not exact keys (floats: 0.0 and -0.0) are remembered only by
non-zero float values or None, SQLite's numerics by ints and non-integral floats. Viewer-zone times and spans
between two times (columns.local_time, span) are computed from the raw times as epoch µs, each time field read
once per row (reports/local_clock.py).
"""

from __future__ import annotations

import re
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable, Sequence

from .columns import Column, Kind, ReportContext
from .fast_text import money_of_decimal_text, text_function
from .fields import fields_read
from .local_clock import local_text
from .memo import keep as keep_in
from .raw_rows import EXACT, FLOAT, NUMERIC

RowLine = Callable[[tuple], str]
_LIMIT = 20_000  # remembered texts per run of columns; cleared when full, so memory stays flat
_SPAN_LIMIT = 100_000  # a span's texts by whole seconds: more than a day's worth, a few MB
_RUN_SHARE = 25  # columns join a run while their fields take at most 1/25 as many values as the sample has rows
_CSV_SPECIAL = re.compile(r'[",\r\n]')


def csv_field(text: str) -> str:
    """`text` as csv.writer writes a field (excel dialect, minimal quoting, CRLF lines)."""
    if _CSV_SPECIAL.search(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


def _local_needs_quotes(time_format: str) -> bool:
    # the directives give digits and letters; only the format's own characters could need quotes
    return _CSV_SPECIAL.search(re.sub(r"%.", "", time_format)) is not None


@dataclass
class _Cell:
    """One column's cell. Remembered cells have `fields` (raw positions, the memory key) and `compute`
    (raw, converted row or None -> quoted text); other cells are an `expression` evaluated on every row."""
    fields: tuple[int, ...] | None = None
    inexact: tuple[int, ...] = ()       # key fields remembered only for some raw values (their rule's _KEEP)
    compute: Callable[[tuple, Any], str] | None = None
    reads: frozenset[str] = frozenset()  # the converted fields its value function reads (none: a plain field)
    expression: str = ""                 # the quoted text from `raw` and the converted row `each`


@dataclass
class _Run:
    cells: list[_Cell] = field(default_factory=list)
    fields: tuple[int, ...] = ()
    distinct: int = 0  # different keys among the sample's rows


# rule -> the generated test that the raw value v may be a key: never two equal keys printing differently
_KEEP = {
    FLOAT: "({v} is None or {v}.__class__ is float and {v})",
    NUMERIC: "({v} is None or {v}.__class__ is int or {v}.__class__ is float and not {v}.is_integer())",
}


class _Moments:
    """Generated lines reading each time field as epoch µs, and each span as whole seconds, once per row.
    moments[i]: false for other fields, true for a time fetched as epoch µs, or a function raw -> epoch µs."""

    def __init__(self, lines: list[str], scope: dict, position: dict, moments: Sequence[Any]):
        self.lines, self.scope, self.position, self.moments = lines, scope, position, moments
        self.done: set = set()

    def usable(self, *fields: str) -> bool:
        return all(f in self.position and self.moments[self.position[f]] for f in fields)

    def micros(self, field_name: str) -> str:
        at = self.position[field_name]
        if at not in self.done:
            self.done.add(at)
            if callable(self.moments[at]):
                self.scope[f"moment{at}"] = self.moments[at]
                self.lines.append(f"    m{at} = moment{at}(raw[{at}])")
            else:
                self.lines.append(f"    m{at} = raw[{at}]")
        return f"m{at}"

    def seconds(self, start: str, stop: str) -> str:
        # between(): round((stop - start).total_seconds()); µs / 10**6 is the same correctly rounded division
        first, last = self.micros(start), self.micros(stop)
        name = f"s_{first}_{last}"
        if name not in self.done:
            self.done.add(name)
            self.lines.append(f"    {name} = None if {first} is None or {last} is None "
                              f"else round(({last} - {first}) / 1_000_000)")
        return name


def _span_filler(memo: dict, text, shown):
    def fill(seconds):
        shown_value = shown(None if seconds is None else timedelta(seconds=seconds))
        return keep_in(memo, seconds, text(shown_value), _SPAN_LIMIT)
    return fill


# kinds whose text is digits, signs, points and colons: never quoted (TEXT and JSON cells are checked)
_PLAIN_KINDS = frozenset({Kind.MONEY, Kind.DECIMAL, Kind.PERCENT, Kind.INTEGER, Kind.DURATION})


def _quoted(kind: Kind, text):
    return text if kind in _PLAIN_KINDS else (lambda value: csv_field(text(value)))


def _field_cell(text, convert, at: int):
    if convert is None:
        return lambda raw, _row: text(raw[at])
    return lambda raw, _row: text(convert(raw[at]))


def _value_cell(text, value, context):
    return lambda _raw, row: text(value(row, context))


def _distinct(sample: Sequence[tuple], fields: tuple[int, ...]) -> int:
    seen = set()
    for raw in sample:
        try:
            seen.add(tuple(raw[at] for at in fields))
        except TypeError:  # an unhashable raw value: never a good key
            return len(sample)
    return len(seen)


def _runs(cells: list[_Cell], sample: Sequence[tuple]) -> list[_Run | _Cell]:
    """The cells in order, neighbouring remembered ones grouped into runs: while their joint key stays rare in the
    sample, or is no commoner than the rarer part's (a run of fields differing per session misses once, not twice)."""
    most = max(1, len(sample) // _RUN_SHARE)
    out: list[_Run | _Cell] = []
    run: _Run | None = None
    for cell in cells:
        if cell.fields is None:
            out.append(cell)
            run = None
            continue
        own = _distinct(sample, cell.fields)
        if run is not None:
            joint = tuple(sorted(set(run.fields) | set(cell.fields)))
            together = _distinct(sample, joint)
            if together <= max(most, min(run.distinct, own)):
                run.cells.append(cell)
                run.fields, run.distinct = joint, together
                continue
        run = _Run([cell], tuple(sorted(set(cell.fields))), own)
        out.append(run)
    return out


def _run_filler(memo: dict, computes: list, make):
    def fill(raw, key, keep=True):
        row = make(raw) if make is not None else None  # converted once for the run's value functions
        text = ",".join([compute(raw, row) for compute in computes])
        return keep_in(memo, key, text, _LIMIT) if keep else text
    return fill


def raw_row_line(columns: list[Column], context: ReportContext, keys: Sequence[str],
                 converters: Sequence[Any], rules: Sequence[str], unique: Sequence[bool] = (),
                 moments: Sequence[Any] = (), sample: Sequence[tuple] = (),
                 decimal_texts: Sequence[Any] = ()) -> RowLine:
    """raw tuple -> its CSV line, CRLF included. `keys`, `converters`, `rules`, `unique`, `moments` and
    `decimal_texts` describe the raw tuple's fields in order (RawRows); `sample`, some of the rows to come, only
    decides which columns share a memory."""
    decimal_texts = list(decimal_texts) or [None] * len(keys)
    unique = list(unique) or [False] * len(keys)
    position = {key: index for index, key in enumerate(keys)}
    scope: dict[str, Any] = {"context": context, "q": csv_field}
    lines: list[str] = ["def line(raw):"]
    times = _Moments(lines, scope, position, list(moments) or [False] * len(keys))
    cells: list[_Cell] = []
    each_fields: set[str] | None = set()  # fields the cells computed on every row read
    needs_each = False
    for number, column in enumerate(columns):
        text = scope[f"text{number}"] = text_function(column)
        if column.moment is not None and times.usable(column.moment):
            local = local_text(context.time_zone, column.time_format)
            if local is not None:
                scope[f"local{number}"] = local
                call = f"local{number}({times.micros(column.moment)})"
                cells.append(_Cell(expression=f"q({call})" if _local_needs_quotes(column.time_format) else call))
                continue
        if column.span is not None and times.usable(*column.span[:2]):
            seconds = times.seconds(*column.span[:2])
            memo = scope[f"memo{number}"] = {}
            scope[f"fill{number}"] = _span_filler(memo, _quoted(column.kind, text), column.span[2])
            lines += [f"    cell{number} = memo{number}.get({seconds})", f"    if cell{number} is None:",
                      f"        cell{number} = fill{number}({seconds})"]
            cells.append(_Cell(expression=f"cell{number}"))
            continue
        if column.field is not None and column.field in position:
            at = position[column.field]
            convert = converters[at]
            if column.kind is Kind.MONEY and decimal_texts[at] is not None:  # money from the number's own text
                scale, convert = decimal_texts[at]
                text = money_of_decimal_text(scale)
            text = scope[f"text{number}"] = _quoted(column.kind, text)
            if unique[at]:  # differs per row: computed each time (the text and conversion remember what they can)
                scope[f"convert{number}"] = convert
                read_raw = f"convert{number}(raw[{at}])" if convert is not None else f"raw[{at}]"
                cells.append(_Cell(expression=f"text{number}({read_raw})"))
                continue
            inexact = () if rules[at] == EXACT else (at,)
            cells.append(_Cell((at,), inexact, _field_cell(text, convert, at)))
            continue
        text = scope[f"text{number}"] = _quoted(column.kind, text)
        read = fields_read([column], keys)
        if read is None or any(unique[position[name]] for name in read):
            # code that cannot be read, or a field differing per row: computed on every row, no memory
            each_fields = None if read is None or each_fields is None else each_fields | read
            needs_each = True
            scope[f"value{number}"] = column.value
            cells.append(_Cell(expression=f"text{number}(value{number}(each, context))"))
            continue
        at_fields = tuple(sorted(position[name] for name in read))
        cells.append(_Cell(at_fields, tuple(at for at in at_fields if rules[at] != EXACT),
                           _value_cell(text, column.value, context), frozenset(read)))
    parts: list[str] = []
    for index, item in enumerate(_runs(cells, sample)):
        if isinstance(item, _Cell):
            parts.append(item.expression)
            continue
        reads = frozenset().union(*(cell.reads for cell in item.cells))
        make = _row_maker(keys, converters, reads) if reads else None
        computes = [cell.compute for cell in item.cells]
        parts.append(f"run{index}")
        memo = scope[f"runmemo{index}"] = {}
        scope[f"runfill{index}"] = _run_filler(memo, computes, make)
        key = (f"raw[{item.fields[0]}]" if len(item.fields) == 1
               else "(" + "".join(f"raw[{at}], " for at in item.fields) + ")")
        inexact = sorted({at for cell in item.cells for at in cell.inexact})
        lines.append(f"    key = {key}")
        if inexact:  # e.g. a float is a key only while non-zero (0.0 and -0.0 are one key) or absent (None)
            keep = " and ".join(_KEEP[rules[at]].format(v=f"raw[{at}]") for at in inexact)
            lines += [f"    keep = {keep}", f"    run{index} = runmemo{index}.get(key) if keep else None",
                      f"    if run{index} is None:", f"        run{index} = runfill{index}(raw, key, keep)"]
        else:
            lines += [f"    run{index} = runmemo{index}.get(key)",
                      f"    if run{index} is None:", f"        run{index} = runfill{index}(raw, key)"]
    if needs_each:
        scope["make_each"] = _row_maker(keys, converters, each_fields)
        lines.append("    each = make_each(raw)")
    for index, part in enumerate(parts):
        lines.append(f"    part{index} = {part}")
    if len(parts) == 1:  # csv.writer quotes a row's only field when empty, or the line would be blank
        lines.append("    return (part0 or '\"\"') + '\\r\\n'")
    else:
        lines.append('    return f"' + ",".join(f"{{part{index}}}" for index in range(len(parts))) + '\\r\\n"')
    exec(compile("\n".join(lines) + "\n", f"<report raw line {len(columns)} columns>", "exec"), scope)
    return scope["line"]


def _row_maker(keys: Sequence[str], converters: Sequence[Any], wanted: set[str] | None):
    """raw tuple -> a named tuple of the fields the value functions read (`wanted`; None: every field), converted.

    Only those fields: fields_read finds every field a value function may read (the query selects no others), so
    a row of a run reading two fields is two conversions, not a tuple of every field (~1.5 µs a row)."""
    chosen = [(index, key, convert) for index, (key, convert) in enumerate(zip(keys, converters))
              if wanted is None or key in wanted]
    Row = namedtuple("ReportRow", [key for _index, key, _convert in chosen], rename=True)
    scope: dict[str, Any] = {"new": tuple.__new__, "Row": Row}
    parts = []
    for index, _key, convert in chosen:
        if convert is not None:
            scope[f"convert{index}"] = convert
            parts.append(f"convert{index}(raw[{index}])")
        else:
            parts.append(f"raw[{index}]")
    source = "def make(raw):\n    return new(Row, (" + "".join(f"{part}, " for part in parts) + "))\n"
    exec(compile(source, "<report raw row maker>", "exec"), scope)
    return scope["make"]
