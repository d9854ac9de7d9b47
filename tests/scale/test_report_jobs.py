"""Issue 19: report jobs are run by worker processes, not by the API process that queued them. An API alone only
queues; a `serve --role worker` runs the job and is woken over the bus (its poll is 60 s); a job whose worker holds
its lease is left alone until that worker's database session dies, and then the older `chargeledger worker` takes
it over and writes the file the API serves."""

from __future__ import annotations

import csv
import io
import time
from datetime import datetime

import httpx
import pytest
from sqlalchemy import text, update

from chargeledger.reports.job_runner import _key
from chargeledger.storage.leases import REPORT_JOBS
from chargeledger.storage.tables import report_jobs
from tests.builders import add_user_key
from tests.reports.world import UTC, operator_world, record_session, settle

from .processes import start

pytestmark = pytest.mark.postgres
ASK = {"report": "statement", "format": "csv", "start": "2024-03-01", "end": "2024-04-01"}


def _progress(http: httpx.Client, job_id: str) -> dict:
    return http.get(f"/api/reports/jobs/{job_id}").json()


def _until_finished(http: httpx.Client, job_id: str, seconds: float, who) -> dict:
    deadline = time.monotonic() + seconds
    while (progress := _progress(http, job_id))["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, f"job {job_id} is {progress['status']}: {who.output()[-3000:]}"
        time.sleep(0.1)
    return progress


def _rows(http: httpx.Client, progress: dict) -> list[list[str]]:
    download = http.get(progress["download_url"])
    assert download.status_code == 200, download.text
    return list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))


def test_workers_run_report_jobs_woken_over_the_bus_and_take_over_an_orphaned_one(pg_engine, postgres_url,
                                                                                   nats_url, tmp_path):
    operator_world(pg_engine)
    settle(pg_engine, record_session(pg_engine, "s-1", datetime(2024, 3, 6, 22, 30, tzinfo=UTC), 90, 20_000), "6.05")
    key = add_user_key(pg_engine, "ops@acme.example", ["ACME"], ["reports"])
    # API and workers share the job folder (on several machines: shared storage); workers poll only every 60 s
    env = {"CHARGELEDGER_REPORT_DIR": str(tmp_path / "reports"), "CHARGELEDGER_WORKER_POLL_INTERVAL": "60"}
    api = start(tmp_path, postgres_url, nats_url, "api", name="api-1", env=env).ready()
    http = httpx.Client(base_url=f"http://127.0.0.1:{api.port}", headers={"Authorization": f"Bearer {key}"},
                        timeout=30)
    worker = None
    try:
        first = http.post("/api/reports/jobs", json=ASK)
        assert first.status_code == 202, first.text
        first_id = first.json()["id"]
        time.sleep(1.5)
        assert _progress(http, first_id)["status"] == "queued"  # the API process does not run jobs

        worker = start(tmp_path, postgres_url, nats_url, "worker", name="worker-1", env=env)
        done = _until_finished(http, first_id, 30, worker)  # its first look, at its start
        assert done["status"] == "done" and done["rows_done"] == 1, done
        table = _rows(http, done)
        assert len(table) == 2 and "6.05" in table[1]

        deadline = time.monotonic() + 20
        while "running worker" not in worker.output():
            assert time.monotonic() < deadline, worker.output()[-2000:]
            time.sleep(0.1)
        time.sleep(1)  # its first round is over: from now on only the bus wakes it before its 60 s poll
        queued_at = time.monotonic()
        second_id = http.post("/api/reports/jobs", json=ASK).json()["id"]
        assert _until_finished(http, second_id, 20, worker)["status"] == "done"
        assert time.monotonic() - queued_at < 20
        worker.stop()

        # a worker claimed the third job (its lease, status running) and then its database session died
        third_id = http.post("/api/reports/jobs", json=ASK).json()["id"]
        holder = pg_engine.connect()
        holder.execute(text("SELECT pg_advisory_lock(:family, :key)"), {"family": REPORT_JOBS, "key": _key(third_id)})
        holder.execute(update(report_jobs).where(report_jobs.c.id == third_id).values(status="running"))
        holder.commit()
        worker = start(tmp_path, postgres_url, nats_url, name="worker-2", command="worker",
                       env={**env, "CHARGELEDGER_WORKER_POLL_INTERVAL": "0.3"})
        time.sleep(3)
        held = _progress(http, third_id)
        assert held["status"] == "running" and held["download_url"] is None, held  # left to its holder
        holder.invalidate()  # the holder's connection is gone: PostgreSQL frees the lease
        taken = _until_finished(http, third_id, 20, worker)
        assert taken["status"] == "done" and len(_rows(http, taken)) == 2
    finally:
        http.close()
        api.stop()
        if worker is not None:
            worker.stop()
