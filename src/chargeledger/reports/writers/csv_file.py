"""CSV: UTF-8 with a byte order mark, RFC 4180 (CRLF, quotes where needed), one header row of the seed's names;
DuckDB writes the lines (cell_sql.lines_sql), the batch's text is written as it lies in Arrow's buffer."""

from __future__ import annotations

import csv
import io
from typing import BinaryIO, Iterator

from ..cell_sql import lines_sql
from ..pipeline import Plan, Progress, output

# Excel on Windows reads a CSV as UTF-8 only after this mark (José, Girève and the "–" of the statement's
# headers were garbled without it); csv readers skip it with encoding="utf-8-sig"
BOM = "\ufeff"


def header(plan: Plan) -> bytes:
    head = io.StringIO()
    csv.writer(head, lineterminator="\r\n").writerow([c.name for c in plan.columns])
    return (BOM + head.getvalue()).encode()


def _lines(engine, plan: Plan, progress: Progress | None):
    return output(engine, plan, lambda cells: lines_sql(plan.columns, cells, plan.flag is not None), progress)


def chunks(engine, plan: Plan, progress: Progress | None = None) -> Iterator[bytes]:
    """The file's bytes: the header, then each batch's lines (a streamed download)."""
    yield header(plan)
    for batch in _lines(engine, plan, progress):
        yield bytes(_text(batch.column(0)))


def write_csv(engine, plan: Plan, out: BinaryIO, progress: Progress | None = None) -> int:
    out.write(header(plan))
    rows = 0
    for batch in _lines(engine, plan, progress):
        out.write(_text(batch.column(0)))
        rows += batch.num_rows
    return rows


def _text(lines) -> memoryview:
    """A string array's values as one run of bytes: they lie back to back in its data buffer."""
    if not len(lines):
        return memoryview(b"")
    import pyarrow as pa

    _validity, offsets, data = lines.buffers()
    # int32 offsets for a string array, int64 for a large one; a slice starts `lines.offset` values in
    offsets = memoryview(offsets).cast("q" if pa.types.is_large_string(lines.type) else "i")
    return memoryview(data)[offsets[lines.offset]:offsets[lines.offset + len(lines)]]
