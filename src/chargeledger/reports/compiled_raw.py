"""A report's visible columns compiled into one function over the driver's raw row tuple (reports/raw_rows.py).

Each cell's text is remembered by the raw values of the fields its column reads (reports/fields.py): the value
functions are functions of the row and the report's context only, so equal fields give the same text. A cell
met before costs one dict lookup; only a row with a new cell builds the converted row the value functions read,
and it builds it once for all its columns. Fields whose raw values are not exact keys (floats: 0.0 and -0.0)
skip the memory and always compute.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Callable, Sequence

from .columns import Column, Kind, ReportContext
from .fast_text import text_cell, text_function
from .fields import fields_read

RowText = Callable[[tuple], list[str]]
_LIMIT = 20_000  # remembered texts per column; cleared when full, so memory stays flat


def _filler(memo: dict, text, value, context):
    def fill(key, row):
        cell = text(value(row, context))
        if len(memo) >= _LIMIT:
            memo.clear()
        memo[key] = cell
        return cell
    return fill


def _field_filler(memo: dict, text, convert):
    def fill(raw):
        cell = text(convert(raw) if convert is not None else raw)
        if len(memo) >= _LIMIT:
            memo.clear()
        memo[raw] = cell
        return cell
    return fill


def raw_row_text(columns: list[Column], context: ReportContext, keys: Sequence[str],
                 converters: Sequence[Any], exact: Sequence[bool], unique: Sequence[bool] = ()) -> RowText:
    """`keys`, `converters`, `exact` and `unique` describe the raw tuple's fields in order (RawRows)."""
    unique = list(unique) or [False] * len(keys)
    position = {key: index for index, key in enumerate(keys)}
    scope: dict[str, Any] = {"context": context}
    lines: list[str] = ["def texts(raw):", "    row = None"]
    cells: list[str] = []
    row_fields: set[str] | None = set()
    for number, column in enumerate(columns):
        text = scope[f"text{number}"] = text_function(column)
        if column.field is not None and column.field in position:
            at = position[column.field]
            if converters[at] is None and column.kind is Kind.TEXT and text is text_cell:
                cells.append(f"text{number}(raw[{at}])")  # a driver string is already the value
                continue
            read_raw = f"convert{number}(raw[{at}])" if converters[at] is not None else f"raw[{at}]"
            scope[f"convert{number}"] = converters[at]
            if not exact[at] or unique[at]:  # the text and conversion functions remember what they can
                cells.append(f"text{number}({read_raw})")
                continue
            memo = scope[f"memo{number}"] = {}
            scope[f"fill{number}"] = _field_filler(memo, text, converters[at])
            lines += [f"    cell{number} = memo{number}.get(raw[{at}])", f"    if cell{number} is None:",
                      f"        cell{number} = fill{number}(raw[{at}])"]
            cells.append(f"cell{number}")
            continue
        read = fields_read([column], keys)
        if read is None:  # code that cannot be read: the row carries every field, no memory
            row_fields = None
            scope[f"value{number}"] = column.value
            lines += ["    if row is None:", "        row = make(raw)"]
            cells.append(f"text{number}(value{number}(row, context))")
            continue
        read = sorted(read, key=position.__getitem__)
        if row_fields is not None:
            row_fields |= set(read)
        scope[f"value{number}"] = column.value
        if not all(exact[position[name]] and not unique[position[name]] for name in read):
            lines += ["    if row is None:", "        row = make(raw)"]
            cells.append(f"text{number}(value{number}(row, context))")
            continue
        memo = scope[f"memo{number}"] = {}
        scope[f"fill{number}"] = _filler(memo, text, column.value, context)
        key = "(" + "".join(f"raw[{position[name]}], " for name in read) + ")"
        lines += [f"    key = {key}", f"    cell{number} = memo{number}.get(key)", f"    if cell{number} is None:",
                  "        if row is None:", "            row = make(raw)",
                  f"        cell{number} = fill{number}(key, row)"]
        cells.append(f"cell{number}")
    scope["make"] = _row_maker(keys, converters, row_fields)
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
