"""XLSX with typed cells: numbers as numbers, times as dates, money in its currency's format (constant memory)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import xlsxwriter

from ..cells import as_text, neutralise
from ..columns import Column, Kind


class XlsxWriter:
    binary = True

    def __init__(self, out, columns: list[Column], title: str = "Report", time_zone: str = "UTC"):
        # constant_memory writes each row to disk as it goes: memory does not grow with rows.
        self.book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                              "strings_to_urls": False, "strings_to_numbers": False})
        # Excel times have no zone and the header row must stay the seed's: the file says its zone in its
        # properties (File > Info) and in the printed page header
        self.book.set_custom_property("Time zone", time_zone)
        self.book.set_properties({"title": title, "comments": f"Times in {time_zone}"})
        self.sheet = self.book.add_worksheet((title or "Report")[:31])
        self.sheet.set_header(f"&LTimes in {time_zone.replace('&', '&&')}")
        self.columns = columns
        self.row_number = 0
        self.formats: dict[str, Any] = {}
        bold = self.book.add_format({"bold": True})
        for index, column in enumerate(columns):
            self.sheet.write_string(0, index, column.name, bold)
            self.sheet.set_column(index, index, max(10, min(40, len(column.name) + 2)))

    def _format(self, pattern: str):
        if pattern not in self.formats:
            self.formats[pattern] = self.book.add_format({"num_format": pattern})
        return self.formats[pattern]

    def write(self, values: list[Any], row: Any) -> None:
        self.row_number += 1
        r, sheet = self.row_number, self.sheet
        for index, (column, value) in enumerate(zip(self.columns, values)):
            if value is None:
                continue
            kind = column.kind
            if kind is Kind.MONEY:
                currency = (column.currency(row) if column.currency else None) or ""
                pattern = f'#,##0.00## "{currency}"' if currency else "#,##0.00##"
                sheet.write_number(r, index, float(Decimal(value)), self._format(pattern))
            elif kind in (Kind.DECIMAL, Kind.PERCENT):
                pattern = "0." + "0" * column.places if column.places else "0"
                sheet.write_number(r, index, float(Decimal(value)), self._format(pattern))
            elif kind is Kind.INTEGER:
                sheet.write_number(r, index, int(value))
            elif kind is Kind.DATETIME and isinstance(value, datetime):
                # Excel has no zones: the cell holds the local wall time the report states its zone for.
                sheet.write_datetime(r, index, value.replace(tzinfo=None), self._format(column.excel_format))
            elif kind is Kind.DURATION:
                sheet.write_number(r, index, value.total_seconds() / 86400, self._format("[hh]:mm:ss"))
            elif kind is Kind.TEXT:
                sheet.write_string(r, index, neutralise(str(value)))
            else:
                sheet.write_string(r, index, as_text(column, value))

    def close(self) -> None:
        self.book.close()
