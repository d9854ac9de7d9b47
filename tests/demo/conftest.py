"""One demo operator per store, built once and shared by the demo tests.

Building it is most of these tests' time (on PostgreSQL ~40 SQL round trips a session), and each test only reads
what was built: the network, the sessions and their money (they add API keys and re-derive projections, which they
assert leave every row as it was). So the store is built once per run, in a database of its own, not rebuilt for
each test. Batches of 150 make the build go through the bulk writer and settlement in several batches, as the
default 2,000-session load of `make run` does.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from sqlalchemy import Engine

from chargeledger.demo.build import DemoSummary, build_demo
from chargeledger.storage.database import make_engine, upgrade
from tests.conftest import fresh_postgres_database

END = datetime(2024, 6, 1, tzinfo=timezone.utc)
SIZE = {"sessions": 400, "seed": 3, "end": END, "sampled": 100, "batch": 150}


@dataclass(frozen=True)
class Demo:
    engine: Engine
    summary: DemoSummary


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def demo(request, tmp_path_factory, sqlite_template):
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("demo") / "ledger.sqlite3"
        shutil.copyfile(sqlite_template, path)
        url, drop = f"sqlite:///{path}", (lambda: None)
    else:
        url, drop = fresh_postgres_database("chargeledger_demo")
    engine = make_engine(url)
    try:
        if request.param == "postgres":
            upgrade(engine)
        yield Demo(engine, build_demo(engine, **SIZE))
    finally:
        engine.dispose()
        drop()
