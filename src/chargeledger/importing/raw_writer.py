"""Writing stamped session rows at driver speed: sqlite3 executemany, or PostgreSQL COPY.

For bulk loads into a scratch or fresh database only: rows carry their session ids (the caller numbers them
above the current maximum), nothing is deduplicated, and no ledger reactions run.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from sqlalchemy import Engine, func, select

from ..storage.tables import sessions

SESSION_COLUMNS = ("id", "external_key", "organisation_id", "site_id", "station_id", "evse_id", "connector_id",
                   "status", "started_at", "stopped_at", "energy_wh", "transaction_id", "id_token", "network",
                   "simulated", "driver_id", "summary", "last_event_at", "created_at")
# reactions: false, seeded history is neither settled nor charged by the outbox worker
EVENT_COLUMNS = ("session_id", "seq", "kind", "occurred_at", "recorded_at", "source", "payload", "idempotency_key",
                 "reactions")
SAMPLE_COLUMNS = ("session_id", "time", "measurand", "phase", "location", "value")


def next_session_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return (conn.execute(select(func.max(sessions.c.id))).scalar() or 0) + 1


def sqlite_time(value: datetime | None) -> str | None:
    # The text SQLAlchemy's SQLite DateTime stores: naive UTC with microseconds, so text order is time order.
    if value is None:
        return None
    if value.tzinfo is not timezone.utc:  # most times are UTC already: one C call instead of three
        value = value.astimezone(timezone.utc)
    return value.isoformat(" ", "microseconds")[:26]


class RawWriter:
    """Collects (session id, row, events, samples) and writes them in one transaction per `flush`."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.recorded_at = datetime.now(timezone.utc).replace(microsecond=0)
        self._sessions: list[tuple] = []
        self._events: list[tuple] = []
        self._samples: list[tuple] = []

    def add(self, session_id: int, row: dict[str, Any], events: Iterable[dict], samples: Iterable[tuple]) -> None:
        t = (lambda v: v) if self.postgres else sqlite_time
        values = {**row, "id": session_id}
        for name in ("started_at", "stopped_at", "last_event_at", "created_at"):
            values[name] = t(values[name])
        if not self.postgres:
            values["simulated"] = int(values["simulated"])
        self._sessions.append(tuple(values[c] for c in SESSION_COLUMNS))
        recorded = t(self.recorded_at)
        self._events.extend((session_id, e["seq"], e["kind"], t(e["occurred_at"]), recorded, e["source"],
                             e["payload"], e["idempotency_key"], False if self.postgres else 0) for e in events)
        self._samples.extend((session_id, t(s[0]), *s[1:]) for s in samples)

    def __len__(self) -> int:
        return len(self._sessions)

    def flush(self) -> None:
        if not self._sessions:
            return
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for table, columns, rows in (("sessions", SESSION_COLUMNS, self._sessions),
                                         ("session_events", EVENT_COLUMNS, self._events),
                                         ("meter_samples", SAMPLE_COLUMNS, self._samples)):
                if rows:
                    write_rows(cursor, self.postgres, table, columns, rows)
            raw.commit()
        finally:
            raw.close()
        self._sessions, self._events, self._samples = [], [], []

    def finish(self) -> None:
        """Flush, and move PostgreSQL's id sequences past the ids written here."""
        self.flush()
        if not self.postgres:
            return
        with self.engine.begin() as conn:
            for table in ("sessions", "session_events"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")


def write_rows(cursor, postgres: bool, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Rows in the driver's own form (SQLite: text times, 0/1, JSON text) at driver speed: COPY or executemany."""
    names = ", ".join(columns)
    if postgres:
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
