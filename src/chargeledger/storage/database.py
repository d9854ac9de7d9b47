"""Engine creation: one place knows the URL, the SQLite pragmas and how to migrate."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event

DEFAULT_URL = "sqlite:///var/chargeledger.sqlite3"


def database_url() -> str:
    from ..settings import current

    return current().database_url


def make_engine(url: str | None = None, **kwargs) -> Engine:
    url = url or database_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web readers work while the OCPP gateway writes. FULL syncs the WAL at every commit, so what we
    # acknowledged survives power loss too (NORMAL survives a killed process but may lose the last commits to a
    # power cut); the group-commit writer batches chargers' messages, so a sync costs one per batch, not per message.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def refresh_statistics(engine: Engine) -> None:
    """Let the query planner see the data's shape after a bulk load (SQLite has no autovacuum to do it)."""
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    here = Path(__file__).parent / "migrations"
    config = Config(str(here / "alembic.ini"))
    config.set_main_option("script_location", str(here))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # processes of a scaled-out deployment start together: one migrates, the others wait and find it done
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(20261219)")
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")  # adapters may add migrations on branches
