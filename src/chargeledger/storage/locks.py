"""Serialising writers of one thing (a session's ledger, a payment) on SQLite and PostgreSQL alike.

PostgreSQL locks the row (`SELECT … FOR UPDATE`) until the transaction ends. SQLite has no row locks, and
pysqlite only sends BEGIN before the first INSERT/UPDATE/DELETE, so a check that reads first runs outside the
transaction and `with_for_update()` does nothing: there we take the database's write lock up front with
`BEGIN IMMEDIATE` (waiting up to busy_timeout for the writer that holds it), so the reads that follow see
everything committed before and nobody writes until we commit.
"""

from __future__ import annotations

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection, Row


def write_lock(conn: Connection) -> None:
    """On SQLite, make the connection's transaction the database's one writer from here on (no-op elsewhere)."""
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.dbapi_connection
    if not raw.in_transaction:  # a write earlier in this transaction already holds the lock
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def locked_row(conn: Connection, table: Table, *where) -> Row | None:
    """The row matching `where`, locked against other writers until this transaction ends."""
    write_lock(conn)
    query = select(table).where(*where)
    if conn.dialect.name != "sqlite":
        query = query.with_for_update()
    return conn.execute(query).first()
