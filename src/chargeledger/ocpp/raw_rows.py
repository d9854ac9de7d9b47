"""A group commit's deferred rows (meter samples, frames) written at driver speed, inside the batch's transaction.

Each table's rows go in one statement: on PostgreSQL as binary arrays unnested server-side, both statements
pipelined (one round trip); on SQLite as one multi-row VALUES. The writer thread gives the GIL up once per statement instead of
once per row or per SQLAlchemy step, so the event loop keeps answering chargers meanwhile.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.engine import Connection

from ..domain.meter import MeterSample
from ..storage.upsert import last_per_key

# A reading resent unchanged is a no-op; resent with another value it is the meter's correction and replaces the
# stored one (the same rule as Ledger.add_samples). Both dialects speak this upsert.
_CORRECT = (" ON CONFLICT (session_id, time, measurand, phase, location) DO UPDATE SET value = excluded.value"
            " WHERE meter_samples.value <> excluded.value")
SAMPLES = ("meter_samples", ("session_id", "time", "measurand", "phase", "location", "value"),
           ("bigint", "timestamptz", "smallint", "smallint", "smallint", "float8"), _CORRECT)
FRAMES = ("ocpp_messages", ("station_id", "time", "direction", "message_type", "action", "unique_id", "payload",
                            "session_id"),
          ("text", "timestamptz", "text", "smallint", "text", "text", "text", "bigint"), "")
_SQLITE_CHUNK = 1000  # rows per statement: 8000 variables at most, under SQLite's 32766


def sample_values(session_id: int, samples: list[MeterSample]) -> list[tuple]:
    return [(session_id, s.time, int(s.measurand), int(s.phase), int(s.location), float(s.value)) for s in samples]


def _key(row: tuple) -> tuple:
    return row[:5]


def _sqlite_time(value: datetime) -> str:
    # The text SQLAlchemy's SQLite DateTime stores (naive UTC, microseconds), so SQLAlchemy reads it back alike.
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")


def write(conn: Connection, tables: list[tuple[tuple, list[tuple]]]) -> None:
    """Insert `(table spec, rows)` pairs on `conn`'s DBAPI connection, in its current transaction."""
    # one statement may not touch a row twice (PostgreSQL): of a batch's equal keys the last reading wins
    tables = [(spec, last_per_key(rows, _key) if spec[3] else rows) for spec, rows in tables if rows]
    if not tables:
        return
    driver = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with driver.pipeline(), driver.cursor() as cursor:
            for (table, columns, types, conflict), rows in tables:
                arrays = ", ".join(f"%b::{t}[]" for t in types)  # binary: text arrays quote each value in Python
                cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"
                               + conflict, [list(c) for c in zip(*rows)])
        return
    cursor = driver.cursor()
    try:
        for (table, columns, _, conflict), rows in tables:
            at = columns.index("time")
            rows = [(*r[:at], _sqlite_time(r[at]), *r[at + 1:]) for r in rows]
            for start in range(0, len(rows), _SQLITE_CHUNK):
                chunk = rows[start:start + _SQLITE_CHUNK]
                marks = ", ".join(["(" + ", ".join("?" * len(columns)) + ")"] * len(chunk))
                cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {marks}{conflict}",
                               [v for row in chunk for v in row])
    finally:
        cursor.close()
