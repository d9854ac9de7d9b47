"""Long reports as jobs: a report_jobs row records the ask and its progress; the file is kept until downloaded.

The API only queues a job (`queue`); a worker runs it (`run_queued`, driven by reports/job_runner.py), rebuilding
the request from the row, so the job survives in the database until some worker process has written its file.
"""

from __future__ import annotations

import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from sqlalchemy import Engine, select, update

from ..settings import current
from ..storage.tables import report_jobs
from .exports import write_export
from .request import ReportError, ReportRequest, caller_for_user, operator_caller
from .run import bundle, write_report
from .writers import SUFFIX as FILE_SUFFIX

# Where workers write job files and the API reads them back: with API and worker processes on several machines
# this folder (`report_dir`) must be storage they share (docs/deploy.md).
JOB_FOLDER = (current().report_dir or Path(tempfile.gettempdir())) / "chargeledger-reports"
SUFFIX = {**FILE_SUFFIX, "zip": "zip", "eviolin": "zip", "eviolin-full": "zip", "ocpi": "jsonl", "oicp": "jsonl",
          "reimbursement": "csv", "tariff-distribution": "csv"}
EXPORT = "export:"  # an export's report name is `export:<format>` (routes/reports.py)
BUNDLED = "+"  # a ZIP's reports, in one report name: statement+sessions


def queue(engine: Engine, request: ReportRequest, fmt: str, export: bool = False, reports: Sequence[str] = (),
          members: Sequence[str] = ("csv",)) -> str:
    names = [request.report] if export else [each.report for each in bundle(request, reports)]
    job_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(report_jobs.insert().values(
            id=job_id, report=BUNDLED.join(names), format=fmt, status="queued", rows_done=0,
            parameters={"from": request.start.isoformat(), "to": request.end.isoformat(),
                        "organisations": list(request.organisation_ids), "network": request.network,
                        "time_zone": request.time_zone, "members": list(members)},
            requested_by=request.caller.user_id or None, created_at=datetime.now(timezone.utc)))
    return job_id


def open_jobs(engine: Engine) -> list[str]:
    """Jobs not finished, oldest first: queued ones, and running ones (whose worker may have died)."""
    with engine.connect() as conn:
        return list(conn.execute(select(report_jobs.c.id).where(report_jobs.c.status.in_(("queued", "running")))
                                 .order_by(report_jobs.c.created_at, report_jobs.c.id)).scalars())


def run_queued(engine: Engine, job_id: str) -> bool:
    """Run a job the caller has claimed, from its row; False when it is no longer open (another worker ran it)."""
    with engine.begin() as conn:
        row = conn.execute(select(report_jobs).where(report_jobs.c.id == job_id)).first()
        if row is None or row.status not in ("queued", "running"):
            return False
        conn.execute(update(report_jobs).where(report_jobs.c.id == job_id).values(status="running"))

    def progress(done: int, total: int) -> None:
        with engine.begin() as conn:
            conn.execute(update(report_jobs).where(report_jobs.c.id == job_id)
                         .values(status="running", rows_done=done, rows_total=total))

    target = JOB_FOLDER / f"{job_id}.{SUFFIX.get(row.format, 'bin')}"
    try:
        # the ask as it was queued, on behalf of its requester with the rights they hold now (the requester or an
        # organisation may be gone since)
        ask, reports = row.parameters, row.report.split(BUNDLED)
        caller = caller_for_user(engine, row.requested_by) if row.requested_by else operator_caller(engine)
        request = ReportRequest(reports[0], datetime.fromisoformat(ask["from"]), datetime.fromisoformat(ask["to"]),
                                tuple(ask["organisations"]), caller, ask.get("network"), ask.get("time_zone") or "UTC")
        JOB_FOLDER.mkdir(parents=True, exist_ok=True)
        if row.report.startswith(EXPORT):
            done = write_export(engine, request, row.format, target, progress)
        else:
            done = write_report(engine, request, row.format, target, progress, reports, ask.get("members", ["csv"]))
        values = dict(status="done", rows_done=done, file_path=str(target))
    except ReportError as error:
        values = dict(status="failed", error=str(error))
    except Exception as error:  # noqa: BLE001 - a failed job records why; the service keeps running
        values = dict(status="failed", error=f"{type(error).__name__}: {error}")
    with engine.begin() as conn:
        conn.execute(update(report_jobs).where(report_jobs.c.id == job_id)
                     .values(finished_at=datetime.now(timezone.utc), **values))
    return True
