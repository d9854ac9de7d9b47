"""INSERT … ON CONFLICT for both dialects: how duplicates become no-ops, or replace what they repeat."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def insert_ignore(connection: Connection, table: Table):
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def upsert(connection: Connection, table: Table, rows: list[dict], keys: list[str]) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE: each row replaces the one with its key (newest wins)."""
    # one row per key (the last): PostgreSQL refuses a statement that would update the same row twice
    rows = list({tuple(row[k] for k in keys): row for row in rows}.values())
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    changed = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=changed), rows)
