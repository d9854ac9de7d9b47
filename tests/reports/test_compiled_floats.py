"""A field whose raw values are floats or SQLite's numerics is remembered only by raw values that cannot meet an
equal value printing differently: 0.0 and -0.0 are one dict key, a NaN never equals itself, and 1 and 1.0 may
convert differently."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from chargeledger.reports.cells import as_text
from chargeledger.reports.columns import Kind, ReportContext, as_is
from chargeledger.reports.compiled_raw import raw_row_line
from chargeledger.reports.raw_rows import EXACT, FLOAT, NUMERIC

RAWS = [0.0, -0.0, 1.5, 1.5, -0.0, 0.0, 1, 1.0, 1, float("nan"), float("nan"), None, 2.25, 2.25, 0, 0.0, 3.0, 3,
        1e20, 1e20, 2.5e-7]


def _csv_line(cells: list[str]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()


def test_float_fields_print_each_zero_sign_and_type_as_computed():
    columns = [as_is("Amount", Kind.TEXT, "amount"), as_is("Fee", Kind.MONEY, "amount")]
    context = ReportContext(ZoneInfo("UTC"), datetime.now(timezone.utc))
    convert = lambda raw: None if raw is None else Decimal(repr(raw))  # noqa: E731 - the driver's text of it
    # the sample puts both columns in one remembered run (one distinct key) or apart: the text must not change
    for rule in (FLOAT, NUMERIC):
        for sample in ([], [(2.25,)], [(raw,) for raw in RAWS]):
            line = raw_row_line(columns, context, ["amount"], [convert], [rule], [False], sample=sample)
            for raw in RAWS:
                value = convert(raw)
                assert line((raw,)) == _csv_line([as_text(columns[0], value), as_text(columns[1], value)]), raw


def test_a_one_column_line_quotes_its_empty_cell_as_csv_does():
    columns = [as_is("Note", Kind.TEXT, "note")]
    context = ReportContext(ZoneInfo("UTC"), datetime.now(timezone.utc))
    line = raw_row_line(columns, context, ["note"], [None], [EXACT], [False])
    for raw in ["", None, "a,b", 'say "hi"', "=1+1"]:
        assert line((raw,)) == _csv_line([as_text(columns[0], raw)]), raw
