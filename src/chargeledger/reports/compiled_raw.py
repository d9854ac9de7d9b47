"""A report's visible columns compiled into one function over the driver's raw row tuple (reports/raw_rows.py).

Each cell's text is remembered by the raw values of the fields its column reads (reports/fields.py): the value
functions are functions of the row and the report's context only, so equal fields give the same text. A cell
met before costs one dict lookup; only a row with a new cell builds the converted row the value functions read,
and it builds it once for all its columns. Fields whose raw values are not exact keys (floats: 0.0 and -0.0)
are remembered only by non-zero float values or None. Viewer-zone times and spans between two times
(columns.local_time, span) are computed from the raw times as epoch µs, each time field read once per row
(reports/local_clock.py).
"""

from __future__ import annotations

from collections import namedtuple
from datetime import timedelta
from typing import Any, Callable, Sequence

from .columns import Column, Kind, ReportContext
from .fast_text import FORMULA_FIRST, text_cell, text_function
from .fields import fields_read
from .local_clock import local_text
from .memo import keep as keep_in

RowText = Callable[[tuple], list[str]]
_LIMIT = 20_000  # remembered texts per column; cleared when full, so memory stays flat


def _filler(memo: dict, text, value, context):
    def fill(key, row, keep=True):
        cell = text(value(row, context))
        return keep_in(memo, key, cell, _LIMIT) if keep else cell
    return fill


def _remember_float(raw) -> bool:
    # 0.0 and -0.0 are one key but may print differently; a NaN never finds itself again; None is always None
    return raw is None or (raw.__class__ is float and bool(raw) and raw == raw)


def _field_filler(memo: dict, text, convert, remember=None):
    def fill(raw):
        cell = text(convert(raw) if convert is not None else raw)
        if remember is not None and not remember(raw):
            return cell
        return keep_in(memo, raw, cell, _LIMIT)
    return fill


def _span_filler(memo: dict, text, shown):
    def fill(seconds):
        return keep_in(memo, seconds, text(shown(None if seconds is None else timedelta(seconds=seconds))), _LIMIT)
    return fill


class _Moments:
    """Generated lines reading each time field as epoch µs, and each span as whole seconds, once per row."""

    def __init__(self, lines: list[str], scope: dict, position: dict, moments: Sequence[Any]):
        self.lines, self.scope, self.position, self.moments = lines, scope, position, moments
        self.done: set = set()

    def usable(self, *fields: str) -> bool:
        return all(f in self.position and self.moments[self.position[f]] is not None for f in fields)

    def micros(self, field: str) -> str:
        at = self.position[field]
        if at not in self.done:
            self.done.add(at)
            self.scope[f"moment{at}"] = self.moments[at]
            self.lines.append(f"    m{at} = moment{at}(raw[{at}])")
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


def raw_row_text(columns: list[Column], context: ReportContext, keys: Sequence[str],
                 converters: Sequence[Any], exact: Sequence[bool], unique: Sequence[bool] = (),
                 moments: Sequence[Any] = ()) -> RowText:
    """`keys`, `converters`, `exact`, `unique` and `moments` describe the raw tuple's fields in order (RawRows)."""
    unique = list(unique) or [False] * len(keys)
    position = {key: index for index, key in enumerate(keys)}
    scope: dict[str, Any] = {"context": context, "FORMULA_FIRST": FORMULA_FIRST}
    lines: list[str] = ["def texts(raw):", "    row = None", "    each = None"]
    times = _Moments(lines, scope, position, list(moments) or [None] * len(keys))
    cells: list[str] = []
    row_fields: set[str] | None = set()   # fields a remembered cell's value function may read on a miss
    each_fields: set[str] | None = set()  # fields the cells computed on every row read
    for number, column in enumerate(columns):
        text = scope[f"text{number}"] = text_function(column)
        if column.moment is not None and times.usable(column.moment):
            local = local_text(context.time_zone, column.time_format)
            if local is not None:
                scope[f"local{number}"] = local
                cells.append(f"local{number}({times.micros(column.moment)})")
                continue
        if column.span is not None and times.usable(*column.span[:2]):
            seconds = times.seconds(*column.span[:2])
            memo = scope[f"memo{number}"] = {}
            scope[f"fill{number}"] = _span_filler(memo, text, column.span[2])
            lines += [f"    cell{number} = memo{number}.get({seconds})", f"    if cell{number} is None:",
                      f"        cell{number} = fill{number}({seconds})"]
            cells.append(f"cell{number}")
            continue
        if column.field is not None and column.field in position:
            at = position[column.field]
            if converters[at] is None and column.kind is Kind.TEXT and text is text_cell:
                # a driver string is already the value; inline, as a call per text cell was ~1.5 µs a row
                cells.append(f"('' if (t := raw[{at}]) is None else t if t.__class__ is str and "
                             f"(not t or t[0] not in FORMULA_FIRST) else text{number}(t))")
                continue
            read_raw = f"convert{number}(raw[{at}])" if converters[at] is not None else f"raw[{at}]"
            scope[f"convert{number}"] = converters[at]
            if unique[at]:  # the text and conversion functions remember what they can
                cells.append(f"text{number}({read_raw})")
                continue
            memo = scope[f"memo{number}"] = {}
            remember = None if exact[at] else _remember_float
            scope[f"fill{number}"] = _field_filler(memo, text, converters[at], remember)
            if exact[at]:
                lines += [f"    cell{number} = memo{number}.get(raw[{at}])"]
            else:  # equal non-zero floats are one value (SQLite's numerics); other raw values are computed
                lines += [f"    v = raw[{at}]", f"    cell{number} = memo{number}.get(v) if v is None or "
                          "v.__class__ is float and v else None"]
            lines += [f"    if cell{number} is None:", f"        cell{number} = fill{number}(raw[{at}])"]
            cells.append(f"cell{number}")
            continue
        read = fields_read([column], keys)
        scope[f"value{number}"] = column.value
        if read is None or any(unique[position[name]] for name in read):
            # code that cannot be read, or a field differing per row: computed on every row, no memory
            each_fields = None if read is None or each_fields is None else each_fields | read
            lines += ["    if each is None:", "        each = make_each(raw)"]
            cells.append(f"text{number}(value{number}(each, context))")
            continue
        read = sorted(read, key=position.__getitem__)
        if row_fields is not None:
            row_fields |= set(read)
        memo = scope[f"memo{number}"] = {}
        scope[f"fill{number}"] = _filler(memo, text, column.value, context)
        key = "(" + "".join(f"raw[{position[name]}], " for name in read) + ")"
        # a float field is a key only while non-zero (0.0 and -0.0 are one key), and only as a float
        floats = [f"raw[{position[name]}]" for name in read if not exact[position[name]]]
        if floats:
            # an absent (None) float field is a key too: SQLite's many empty money fields missed on every row
            keep = " and ".join(f"({v} is None or {v}.__class__ is float and {v})" for v in floats)
            lines += [f"    key = {key}", f"    keep = {keep}",
                      f"    cell{number} = memo{number}.get(key) if keep else None"]
        else:
            lines += [f"    key = {key}", f"    cell{number} = memo{number}.get(key)"]
        lines += [f"    if cell{number} is None:", "        if row is None:", "            row = make(raw)",
                  f"        cell{number} = fill{number}(key, row, {'keep' if floats else 'True'})"]
        cells.append(f"cell{number}")
    # a remembered cell's miss is rare: its row converts what those columns read; the per-row cells convert less
    scope["make"] = _row_maker(keys, converters, row_fields)
    scope["make_each"] = _row_maker(keys, converters, each_fields)
    lines.append("    return [" + ", ".join(cells) + "]")
    exec(compile("\n".join(lines) + "\n", f"<report raw row {len(columns)} columns>", "exec"), scope)
    return scope["texts"]


def _row_maker(keys: Sequence[str], converters: Sequence[Any], wanted: set[str] | None):
    """raw tuple -> a named tuple whose fields the value functions read are converted (the rest stay raw)."""
    Row = namedtuple("ReportRow", keys, rename=True)
    scope: dict[str, Any] = {"new": tuple.__new__, "Row": Row}
    parts = []
    for index, (key, convert) in enumerate(zip(keys, converters)):
        if convert is not None and (wanted is None or key in wanted):
            scope[f"convert{index}"] = convert
            parts.append(f"convert{index}(raw[{index}])")
        else:
            parts.append(f"raw[{index}]")
    source = "def make(raw):\n    return new(Row, (" + ", ".join(parts) + ",))\n"
    exec(compile(source, "<report raw row maker>", "exec"), scope)
    return scope["make"]
