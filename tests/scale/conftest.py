"""Fixtures of the scale-out tests: the NATS bus (skipped outside CI when absent, a failure under CI=true) and
`chargeledger serve --role …` processes on this run's PostgreSQL database."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import unavailable

NATS_URL = "nats://127.0.0.1:4222"


@pytest.fixture(scope="session")
def nats_url() -> str:
    try:
        socket.create_connection(("127.0.0.1", 4222), timeout=1).close()
    except OSError as exc:
        unavailable(f"NATS is not reachable at {NATS_URL} ({exc.strerror or exc})")
    return NATS_URL


@pytest.fixture
def pg_engine(postgres_url):
    """This run's PostgreSQL database, emptied: the processes under test share it."""
    from tests.conftest import _postgres_engine

    engine = _postgres_engine(postgres_url)
    yield engine
    engine.dispose()
