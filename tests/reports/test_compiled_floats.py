"""A field whose raw values are floats (SQLite's numerics) is remembered only by non-zero float values: 0.0 and
-0.0 are one dict key but print differently, a NaN never equals itself, and 1 and 1.0 may convert differently."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from chargeledger.reports.cells import as_text
from chargeledger.reports.columns import Kind, ReportContext, as_is
from chargeledger.reports.compiled_raw import raw_row_text


def test_float_fields_print_each_zero_sign_and_type_as_computed():
    columns = [as_is("Amount", Kind.TEXT, "amount"), as_is("Fee", Kind.MONEY, "amount")]
    context = ReportContext(ZoneInfo("UTC"), datetime.now(timezone.utc))
    convert = lambda raw: None if raw is None else Decimal(repr(raw))  # noqa: E731 - the driver's text of it
    texts = raw_row_text(columns, context, ["amount"], [convert], [False], [False])
    raws = [0.0, -0.0, 1.5, 1.5, -0.0, 0.0, 1, 1.0, 1, float("nan"), float("nan"), None, 2.25, 2.25]
    for raw in raws:
        value = convert(raw)
        assert texts((raw,)) == [as_text(columns[0], value), as_text(columns[1], value)], raw
