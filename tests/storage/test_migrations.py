"""The migrations build exactly the schema tables.py declares, on SQLite and PostgreSQL, with one head."""

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

import chargeledger.storage.database as database
from chargeledger.storage.tables import metadata


def test_one_head():
    config = Config()
    config.set_main_option("script_location", str(database.Path(database.__file__).parent / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_migrated_schema_matches_the_tables(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, metadata)
    # Alembic's own version table is not ours to declare.
    differences = [d for d in differences if "alembic_version" not in repr(d)]
    assert differences == []
