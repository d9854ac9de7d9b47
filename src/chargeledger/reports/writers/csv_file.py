"""CSV: UTF-8, RFC 4180 (CRLF, quotes where needed), one header row of the seed's column names."""

from __future__ import annotations

import csv
from typing import IO, Any

from ..cells import as_text
from ..columns import Column


class CsvWriter:
    binary = False

    def __init__(self, out: IO[str], columns: list[Column], title: str = "", header: bool = True):
        self.columns = columns
        self.out = out
        self.writer = csv.writer(out, lineterminator="\r\n")
        if header:  # a later part of a report written in parts (reports/csv_parts.py) has none
            self.writer.writerow([c.name for c in columns])

    def write(self, values: list[Any], row: Any) -> None:
        self.writer.writerow([as_text(c, v) for c, v in zip(self.columns, values)])

    def write_lines(self, lines: list[str]) -> None:
        """CSV lines (CRLF included) already written by the report's compiled function (reports/compiled_raw.py)."""
        self.out.write("".join(lines))

    def close(self) -> None:
        pass
