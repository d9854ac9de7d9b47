"""Reports over HTTP: a job runs, reports progress and serves a file; streaming CSV; rights enforced."""

from __future__ import annotations

import csv
import io
import time
from datetime import datetime

import openpyxl
from fastapi.testclient import TestClient

from chargeledger.http.app import create_app

from tests.builders import add_user_key
from tests.reports import seed_headers
from tests.reports.world import UTC, operator_world, record_session, settle

ASK = {"start": "2024-03-01", "end": "2024-04-01"}


def finished(client, url: str, auth: dict, seconds: float = 30) -> dict:
    """A job runs in a worker thread (reports/job_runner.py), not in the request: follow its progress to the end."""
    deadline = time.monotonic() + seconds
    while True:
        progress = client.get(url, headers=auth).json()
        if progress["status"] in ("done", "failed") or time.monotonic() > deadline:
            return progress
        time.sleep(0.05)


def test_job_progress_download_and_streaming(engine, tmp_path, monkeypatch):
    monkeypatch.setattr("chargeledger.reports.jobs.JOB_FOLDER", tmp_path / "jobs")
    operator_world(engine)
    hub = record_session(engine, "hub-1", datetime(2024, 3, 6, 22, 30, tzinfo=UTC), 120, 20_000, network="Hubject")
    settle(engine, hub, "6.05")
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["reports", "stations"])
    client = TestClient(create_app(engine))
    auth = {"Authorization": f"Bearer {key}"}
    started = client.post("/api/reports/jobs", json={**ASK, "report": "roaming-sessions", "format": "xlsx"},
                          headers=auth)
    assert started.status_code == 202
    progress = finished(client, started.json()["progress_url"], auth)
    assert progress["status"] == "done" and progress["rows_done"] == 1
    download = client.get(progress["download_url"], headers=auth)
    sheet = openpyxl.load_workbook(io.BytesIO(download.content)).active
    assert [c.value for c in sheet[1]] == seed_headers.ROAMING_SESSIONS and sheet.max_row == 2
    streamed = client.post("/api/reports/stream", json={**ASK, "report": "statement"}, headers=auth)
    assert streamed.content.startswith("\ufeff".encode())  # the BOM, so Excel reads UTF-8
    table = list(csv.reader(io.StringIO(streamed.content.decode("utf-8-sig"))))
    assert streamed.status_code == 200 and len(table) == 2
    assert table[0] == seed_headers.statement([], finance=False)
    export = client.post("/api/reports/jobs?export=true", json={**ASK, "report": "cdrs", "format": "ocpi"},
                         headers=auth)
    assert finished(client, export.json()["progress_url"], auth)["rows_done"] == 1


def test_rights_and_bad_asks(engine):
    operator_world(engine)
    key = add_user_key(engine, "clerk@acme.example", ["ACME"], ["reports"])
    client = TestClient(create_app(engine))
    auth = {"Authorization": f"Bearer {key}"}
    assert client.post("/api/reports/jobs", json={**ASK, "report": "roaming-sessions"}, headers=auth).status_code == 403
    outside = client.post("/api/reports/stream", json={**ASK, "report": "statement", "organisations": ["OTHER"]},
                          headers=auth)
    assert outside.status_code == 403 and "outside your organisations" in outside.json()["detail"]
    inverted = client.post("/api/reports/stream", json={"report": "statement", "start": "2024-04-01",
                                                        "end": "2024-03-01"}, headers=auth)
    assert inverted.status_code == 400 and "empty" in inverted.json()["detail"]
    assert client.post("/api/reports/stream", json={**ASK, "report": "nope"}, headers=auth).status_code == 400
    assert client.get("/api/reports/jobs/unknown", headers=auth).status_code == 404
