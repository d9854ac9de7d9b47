"""CSV: UTF-8 with a byte order mark, RFC 4180 (CRLF, quotes where needed), one header row of the seed's names."""

from __future__ import annotations

import csv
from typing import IO, Any

from ..cells import as_text
from ..columns import Column


# Excel on Windows reads a CSV as UTF-8 only after this mark (José, Girève and the "–" of the statement's
# headers were garbled without it); csv readers skip it with encoding="utf-8-sig"
BOM = "\ufeff"


class CsvWriter:
    binary = False

    def __init__(self, out: IO[str], columns: list[Column], title: str = "", header: bool = True):
        self.columns = columns
        self.out = out
        self.writer = csv.writer(out, lineterminator="\r\n")
        if header:  # a later part of a report written in parts (reports/csv_parts.py) has none
            out.write(BOM)
            self.writer.writerow([c.name for c in columns])

    def write(self, values: list[Any], row: Any) -> None:
        self.writer.writerow([as_text(c, v) for c, v in zip(self.columns, values)])

    def write_lines(self, lines: list[str]) -> None:
        """CSV lines (CRLF included) already written by the report's compiled function (reports/compiled_raw.py)."""
        self.out.write("".join(lines))

    def close(self) -> None:
        pass
