"""A fresh, migrated database for one benchmark run: a SQLite file in `folder`, or a PostgreSQL database of its
own (created on the test server, dropped by the returned function)."""

from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, text

from chargeledger.storage.database import make_engine, upgrade

PG = os.environ.get("CHARGELEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def fresh_engine(kind: str, folder: str, label: str = "bench"):
    """(engine, drop): drop disposes of the engine and, on PostgreSQL, removes the database."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{folder}/{label}-{uuid.uuid4().hex[:6]}.sqlite3")
        upgrade(engine)
        return engine, engine.dispose
    name = f"{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG.rsplit("/", 1)[0] + "/" + name)
    upgrade(engine)

    def drop():
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return engine, drop
