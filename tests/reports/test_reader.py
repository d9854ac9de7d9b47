"""Arrow rows read by ADBC (reports/reader.py) hold the values SQLAlchemy reads, on SQLite too, whose driver
guesses types from the first rows: fields empty in the first batches and set later, integers and floats mixed in
one numeric column, and more fields than one empties bit mask holds."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pyarrow as pa
import pytest
from sqlalchemy import Boolean, Column, Float, Integer, MetaData, Numeric, String, Table, insert, select

from chargeledger.reports.cell_sql import connect, field_value
from chargeledger.reports.reader import ArrowRows
from chargeledger.storage.schema_types import UtcDateTime

pytest.importorskip("adbc_driver_sqlite")

WIDE = 70  # more fields than one 62-bit mask


def _table(metadata: MetaData) -> Table:
    columns = [Column("id", Integer, primary_key=True), Column("note", String(40)), Column("amount", Numeric(18, 6)),
               Column("ratio", Float), Column("paid", Boolean), Column("at", UtcDateTime)]
    columns += [Column(f"extra_{i}", String(10)) for i in range(WIDE - len(columns))]
    return Table("arrow_probe", metadata, *columns)


def test_values_and_empties_survive_the_typed_read(engine):
    metadata = MetaData()
    table = _table(metadata)
    metadata.create_all(engine)
    try:
        _check(engine, table)
    finally:  # not a ChargeLedger table: the shared PostgreSQL test database must not keep it
        metadata.drop_all(engine)


def _check(engine, table: Table) -> None:
    start = datetime(2024, 3, 31, 0, 59, 59, 999_999, tzinfo=timezone.utc)
    rows = []
    for i in range(1, 301):
        late = i > 200  # empty in the first batches, set in later ones
        rows.append({"id": i, "note": f"n{i}" if late else None,
                     "amount": (Decimal(i) / 8 if i % 2 else Decimal(i)) if late or i % 3 == 0 else None,
                     "ratio": (i / 7 if i % 2 else float(i)) if late else None,
                     "paid": (i % 2 == 0) if late else None,
                     "at": start + timedelta(microseconds=i * 1_000_001) if i % 5 else None,
                     **{f"extra_{k}": (f"x{k}" if late and k % 2 else None) for k in range(WIDE - 6)}})
    with engine.begin() as conn:
        conn.execute(insert(table), rows)
    query = select(table).order_by(table.c.id)
    reader = ArrowRows(engine, query, batch_rows=50)
    try:
        batches = list(reader.batches())
    finally:
        reader.close()
    fetched = [row for batch in batches for row in batch.to_pylist()]
    # a time as the cells read it (SQLite's text, PostgreSQL's timestamp): epoch µs
    duck = connect()
    duck.register("batch", pa.Table.from_batches(batches))
    at_field = next(field for field in reader.fields if field.name == "at")
    micros = [at for (at,) in duck.execute(f"SELECT {field_value(at_field)} FROM batch").fetchall()]
    duck.close()
    with engine.connect() as conn:
        expected = conn.execute(query).mappings().all()
    assert len(fetched) == len(expected) == 300
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    for got, want, at in zip(fetched, expected, micros):
        assert got["id"] == want["id"] and got["note"] == want["note"] and got["paid"] == want["paid"]
        assert (got["amount"] is None) == (want["amount"] is None)
        if want["amount"] is not None:  # the numeric's Decimal, from its text (SQLite: its float, see the module)
            assert Decimal(got["amount"] if isinstance(got["amount"], str) else f"{got['amount']:.6f}") == want["amount"]
        assert got["ratio"] == want["ratio"]
        assert at == (None if want["at"] is None else (want["at"] - epoch) // timedelta(microseconds=1))
        assert all(got[f"extra_{k}"] == want[f"extra_{k}"] for k in range(WIDE - 6))
