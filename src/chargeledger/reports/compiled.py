"""A report's visible columns compiled once into one function: joined row -> list of CSV cell texts.

The function is generated as one list expression, so a cell costs its text function and, for a computed column,
its value function: no loop over the declaration, no lookup of the kind, and a plain field is read by position.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from .columns import Column, ReportContext
from .fast_text import text_function

RowText = Callable[[Any], list[str]]


def row_text(columns: list[Column], context: ReportContext, keys: Sequence[str]) -> RowText:
    """`keys` are the query's row fields in order; plain-field columns read row[position]."""
    position = {key: index for index, key in enumerate(keys)}
    scope: dict[str, Any] = {"context": context}
    cells = []
    for number, column in enumerate(columns):
        scope[f"text{number}"] = text_function(column)
        if column.field is not None and column.field in position:
            cells.append(f"text{number}(row[{position[column.field]}])")
        else:
            scope[f"value{number}"] = column.value
            cells.append(f"text{number}(value{number}(row, context))")
    source = "def texts(row):\n    return [" + ", ".join(cells) + "]\n"
    exec(compile(source, f"<report row {len(columns)} columns>", "exec"), scope)
    return scope["texts"]
