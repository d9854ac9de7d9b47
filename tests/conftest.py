"""Shared fixtures. `engine` runs a test on SQLite and on PostgreSQL.

Outside CI a missing PostgreSQL or Chromium skips with a message; under CI=true they must be there, so the
fixtures fail instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from chargeledger.storage.database import make_engine, upgrade
from chargeledger.storage.tables import metadata

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("CHARGELEDGER_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHROMIUM = os.environ.get("CHARGELEDGER_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


def unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason}, and CI=true requires it")
    pytest.skip(f"{reason} (set up PostgreSQL/Chromium to run this test)")


def fresh_postgres_database(prefix: str = "chargeledger_test"):
    """(url, drop): a database of its own on the test server, created empty; drop() removes it."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "not available"
        admin.dispose()
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_URL} ({type(exc).__name__})")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name, drop


@pytest.fixture(scope="session")
def postgres_url():
    """A database of this test run's own, created from scratch and dropped at the end."""
    url, drop = fresh_postgres_database()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    drop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated once per run: each test copies it instead of running the migrations again
    (~0.2 CPU-s a test, over 300 tests)."""
    path = tmp_path_factory.mktemp("sqlite_template") / "ledger.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, so a copy has it all
    engine.dispose()
    return path


def _sqlite_engine(tmp_path: Path, template: Path):
    target = tmp_path / "ledger.sqlite3"
    shutil.copyfile(template, target)
    return make_engine(f"sqlite:///{target}")


def _postgres_engine(url: str):
    """This run's database emptied, its sequences back at their start. DELETE, not TRUNCATE: on tables that
    hold a test's few rows, TRUNCATE (new files for each of ~50 tables, synced at commit) took ~0.8 s a test
    and DELETE ~0.05 s. No table has a row trigger, so DELETE and TRUNCATE leave the same empty database."""
    engine = make_engine(url)
    with engine.begin() as conn:
        # children before parents, so no foreign key is ever left dangling
        conn.exec_driver_sql(";".join(f'DELETE FROM "{t.name}"' for t in reversed(metadata.sorted_tables)))
        conn.exec_driver_sql(
            "SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s"
            " JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema()")
    return engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    """A migrated, empty database: SQLite in a temp file, or this run's PostgreSQL database truncated."""
    if request.param == "sqlite":
        eng = _sqlite_engine(tmp_path, request.getfixturevalue("sqlite_template"))
    else:
        eng = _postgres_engine(request.getfixturevalue("postgres_url"))
    yield eng
    eng.dispose()


@pytest.fixture
def postgres_engine(postgres_url):
    """For the few tests that exercise something only PostgreSQL has."""
    eng = _postgres_engine(postgres_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path, sqlite_template):
    eng = _sqlite_engine(tmp_path, sqlite_template)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def chromium_path():
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    return CHROMIUM
