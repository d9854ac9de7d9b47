"""Long reports as jobs: a report_jobs row records progress; the file is kept until downloaded."""

from __future__ import annotations

import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, update

from ..settings import current
from ..storage.tables import report_jobs
from .exports import write_export
from .request import ReportError, ReportRequest
from .run import check_access, write_report

JOB_FOLDER = (current().report_dir or Path(tempfile.gettempdir())) / "chargeledger-reports"
SUFFIX = {"csv": "csv", "xlsx": "xlsx", "eviolin": "zip", "eviolin-full": "zip", "ocpi": "jsonl", "oicp": "jsonl",
          "reimbursement": "csv", "tariff-distribution": "csv", "json": "jsonl"}


def queue(engine: Engine, request: ReportRequest, fmt: str, export: bool = False) -> str:
    if not export:
        check_access(request)
    job_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(report_jobs.insert().values(
            id=job_id, report=request.report, format=fmt, status="queued", rows_done=0,
            parameters={"from": request.start.isoformat(), "to": request.end.isoformat(),
                        "organisations": list(request.organisation_ids), "network": request.network,
                        "time_zone": request.time_zone},
            requested_by=request.caller.user_id or None, created_at=datetime.now(timezone.utc)))
    return job_id


def run(engine: Engine, job_id: str, request: ReportRequest, fmt: str, export: bool = False) -> None:
    JOB_FOLDER.mkdir(parents=True, exist_ok=True)
    target = JOB_FOLDER / f"{job_id}.{SUFFIX.get(fmt, 'bin')}"

    def progress(done: int, total: int) -> None:
        with engine.begin() as conn:
            conn.execute(update(report_jobs).where(report_jobs.c.id == job_id)
                         .values(status="running", rows_done=done, rows_total=total))

    try:
        writer = write_export if export else write_report
        done = writer(engine, request, fmt, target, progress)
        values = dict(status="done", rows_done=done, file_path=str(target))
    except ReportError as error:
        values = dict(status="failed", error=str(error))
    except Exception as error:  # noqa: BLE001 - a failed job records why; the service keeps running
        values = dict(status="failed", error=f"{type(error).__name__}: {error}")
    with engine.begin() as conn:
        conn.execute(update(report_jobs).where(report_jobs.c.id == job_id)
                     .values(finished_at=datetime.now(timezone.utc), **values))
