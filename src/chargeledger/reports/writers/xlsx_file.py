"""XLSX with typed cells: numbers as numbers, times as dates, money in its currency's format (constant memory).
Each cell is read back from the pipeline's text by its column's kind, so XLSX shows what CSV shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, BinaryIO

import xlsxwriter

from ..catalogue import REPORTS
from ..columns import Kind
from ..pipeline import Plan, Progress, output, zone_stated

_NUMBERS = (Kind.MONEY, Kind.DECIMAL, Kind.PERCENT)


def _seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    hours, minutes, seconds = (int(part) for part in text.lstrip("-").split(":"))
    return sign * (hours * 3600 + minutes * 60 + seconds)


def write_xlsx(engine, plan: Plan, out: BinaryIO, progress: Progress | None = None) -> int:
    zone = zone_stated(plan.request)
    title = REPORTS[plan.request.report].title or "Report"
    # constant_memory writes each row to a temporary file as it goes: memory does not grow with rows; the
    # workbook is packed into `out` when it closes
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                      "strings_to_urls": False, "strings_to_numbers": False})
    # Excel times have no zone and the header row must stay the seed's: the file says its zone in its properties
    # (File > Info) and in the printed page header
    book.set_custom_property("Time zone", zone)
    book.set_properties({"title": title, "comments": f"Times in {zone}"})
    sheet = book.add_worksheet(title[:31])
    sheet.set_header(f"&LTimes in {zone.replace('&', '&&')}")
    formats: dict[str, Any] = {}

    def shaped(pattern: str):
        if pattern not in formats:
            formats[pattern] = book.add_format({"num_format": pattern})
        return formats[pattern]

    bold = book.add_format({"bold": True})
    columns = plan.columns
    for index, column in enumerate(columns):
        sheet.write_string(0, index, column.name, bold)
        sheet.set_column(index, index, max(10, min(40, len(column.name) + 2)))
    row = 0
    width = len(columns)
    for batch in output(engine, plan, lambda cells: cells, progress):
        texts = [batch.column(i).to_pylist() for i in range(width)]
        currencies = [batch.column(width + i).to_pylist() for i in range(width)]
        for at in range(batch.num_rows):
            row += 1
            for index, column in enumerate(columns):
                text = texts[index][at]
                if text is None:
                    continue
                kind = column.kind
                if kind is Kind.MONEY:
                    currency = currencies[index][at] or ""
                    pattern = f'#,##0.00## "{currency}"' if currency else "#,##0.00##"
                    sheet.write_number(row, index, float(text), shaped(pattern))
                elif kind in _NUMBERS:
                    pattern = "0." + "0" * column.places if column.places else "0"
                    sheet.write_number(row, index, float(text), shaped(pattern))
                elif kind is Kind.INTEGER:
                    sheet.write_number(row, index, int(text))
                elif kind is Kind.DATETIME:
                    # Excel has no zones: the cell holds the local wall time the report states its zone for
                    moment = datetime.strptime(text, column.time_format).replace(tzinfo=None)
                    sheet.write_datetime(row, index, moment, shaped(column.excel_format))
                elif kind is Kind.DURATION:
                    sheet.write_number(row, index, _seconds(text) / 86400, shaped("[hh]:mm:ss"))
                else:  # text, already neutralised; JSON
                    sheet.write_string(row, index, text)
    book.close()
    return row
