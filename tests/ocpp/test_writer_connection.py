"""The writer thread holds its connection between batches; a connection the server dropped costs no message."""

from __future__ import annotations

import pytest
from ocpp.v16 import call
from sqlalchemy import select, text

from chargeledger.storage.tables import stations
from tests.builders import add_network, at
from tests.ocpp.helpers import charger, gateway_on, iso


@pytest.mark.postgres  # terminating a server backend has no SQLite counterpart
async def test_a_dropped_writer_connection_is_replaced(postgres_engine):
    engine = postgres_engine
    add_network(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
        await cp.call(call.StatusNotification(connector_id=0, error_code="NoError", status="Available",
                                              timestamp=iso(at(0))))
        held = gateway.group._conn
        pid = held.connection.driver_connection.info.backend_pid
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        await cp.call(call.StatusNotification(connector_id=0, error_code="NoError", status="Unavailable",
                                              timestamp=iso(at(1))))
        assert gateway.group._conn is not held
        with engine.connect() as conn:  # read while connected: a disconnected station shows Offline
            assert conn.execute(select(stations.c.status).where(stations.c.id == "CP-1")).scalar() == "Unavailable"
