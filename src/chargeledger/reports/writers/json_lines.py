"""JSON lines: one object per row, the seed's column names as keys and each cell's text as its value (an empty
cell is null), built by DuckDB as the CSV lines are."""

from __future__ import annotations

from typing import BinaryIO

from ..cell_sql import literal
from ..pipeline import Plan, Progress, output
from .csv_file import _text


def write_json(engine, plan: Plan, out: BinaryIO, progress: Progress | None = None) -> int:
    pairs = ", ".join(f"{literal(c.name)}, c{i}" for i, c in enumerate(plan.columns))
    rows = 0
    for batch in output(engine, plan, lambda cells: f"SELECT json_object({pairs}) || chr(10) AS line"
                        + (", flag" if plan.flag else "") + f" FROM ({cells})", progress):
        out.write(_text(batch.column(0)))
        rows += batch.num_rows
    return rows
