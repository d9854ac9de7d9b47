"""Alembic environment: migrations run on the connection ChargeLedger hands over (or the configured URL)."""

from alembic import context

from chargeledger.storage.database import make_engine
from chargeledger.storage.tables import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    with make_engine().connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
