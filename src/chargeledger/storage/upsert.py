"""INSERT … ON CONFLICT for both dialects: how duplicates become no-ops, how a corrected reading replaces one, and
how a station's newest report replaces the older one."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def insert_ignore(connection: Connection, table: Table):
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def insert_or_correct(connection: Connection, table: Table, column: str):
    """Insert; a row whose key exists but whose `column` differs takes the new value (a resent equal row is a no-op).

    PostgreSQL refuses one statement that touches a row twice: callers pass rows with distinct keys (last_per_key).
    """
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    keys = [c.name for c in table.primary_key.columns]
    return statement.on_conflict_do_update(index_elements=keys, set_={column: statement.excluded[column]},
                                           where=table.c[column] != statement.excluded[column])


def last_per_key(rows: list, key) -> list:
    """The last row for each key, in first-seen order: a correction later in one batch wins over the reading."""
    chosen = {}
    for row in rows:
        chosen[key(row)] = row
    return list(chosen.values())


def upsert(connection: Connection, table: Table, rows: list[dict], keys: list[str]) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE: each row replaces the one with its key (newest wins)."""
    # PostgreSQL refuses a statement that would update the same row twice
    rows = last_per_key(rows, lambda row: tuple(row[k] for k in keys))
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    changed = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=changed), rows)
