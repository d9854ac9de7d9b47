"""An acknowledged write survives SIGKILL, whatever ran in the process before it (issue 12, item 1).

A second SQLite library in the process (the ADBC driver bundles its own) that opens the live file and closes
again believes it is the last connection: it checkpoints, deletes the WAL and its shared memory, and the
application's later commits go to a deleted file. The child process below does what the server does: records
sessions, writes a statement report, records more, and is then killed without a chance to clean up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import func, select

from chargeledger.storage.database import make_engine
from chargeledger.storage.tables import sessions

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import os, signal, sys
    from datetime import datetime, timezone
    from chargeledger.reports import run
    from chargeledger.reports.request import build_request, operator_caller
    from chargeledger.storage.database import make_engine, upgrade
    from tests.reports.world import operator_world, record_session, settle

    engine = make_engine(sys.argv[1])
    upgrade(engine)
    operator_world(engine)
    run.VECTORISED = True
    first = datetime(2024, 3, 1, 8, tzinfo=timezone.utc)
    for i in range(20):
        settle(engine, record_session(engine, f"before-{i}", first, 30, 5000 + i), "3.10")
    request = build_request(engine, "statement", "2024-01-01", "2025-01-01", operator_caller(engine),
                            time_zone="Europe/Amsterdam")
    assert run.write_report(engine, request, "csv", sys.argv[2]) == 20
    for i in range(20):  # each commit is acknowledged: it must be on disk
        record_session(engine, f"after-{i}", first, 30, 6000 + i)
    print("acknowledged", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_commits_after_a_report_survive_sigkill(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    child = subprocess.run([sys.executable, "-c", CHILD, url, str(tmp_path / "statement.csv")], cwd=ROOT,
                           capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.returncode == -signal.SIGKILL, child.stderr[-3000:]
    assert "acknowledged" in child.stdout
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            keys = set(conn.execute(select(sessions.c.external_key)).scalars())
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    finally:
        engine.dispose()
    assert {f"after-{i}" for i in range(20)} <= keys, f"lost {20 - len([k for k in keys if k.startswith('after')])}"
    assert len(keys) == 40
