"""Reports over HTTP: start a job, follow its progress, download the file; small CSVs may stream directly."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, HTTPException
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel
from sqlalchemy import Engine, select

from ...access.rights import Caller
from ...reports import job_runner, jobs
from ...reports.catalogue import REPORTS
from ...reports.exports import EXPORTS, export_rights
from ...reports.request import ReportError, build_request, missing_rights
from ...reports.run import bundle, csv_chunks
from ...reports.writers import WRITERS
from ...storage.tables import report_jobs
from ..audit_trail import AuditTrail, audit_trail
from ..deps import current_caller, engine_of

router = APIRouter(tags=["reports"])
MEDIA = {"csv": "text/csv; charset=utf-8", "zip": "application/zip", "jsonl": "application/x-ndjson",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class ReportAsk(BaseModel):
    report: str = ""
    format: str = "csv"
    reports: list[str] = []       # format zip: the reports it holds (default `report`)
    members: list[str] = ["csv"]  # format zip: each report in each of these formats
    start: str
    end: str
    organisations: list[str] = []
    network: str | None = None
    time_zone: str | None = None


def _request(engine, caller, ask: ReportAsk, export: bool):
    try:
        name = f"export:{ask.format}" if export else ask.report or next(iter(ask.reports), "")
        request = build_request(engine, name, ask.start, ask.end, caller, ask.organisations, ask.network, ask.time_zone,
                                known_reports=None if export else REPORTS)
        if not export:
            if ask.format == "zip" and not set(ask.members) <= set(WRITERS):
                raise ReportError(f"a ZIP's members are {', '.join(WRITERS)}, not {', '.join(ask.members)}")
            if ask.reports and ask.format != "zip":
                raise ReportError("several reports go into one file as format zip")
            bundle(request, ask.reports)  # each one checked
        elif ask.format not in EXPORTS:
            raise ReportError(f"unknown export format {ask.format!r}; choose from {', '.join(EXPORTS)}")
        elif missing := missing_rights(export_rights(ask.format), caller):  # refused now, not by a failed job
            raise ReportError(f"the {ask.format} export needs the {' and '.join(missing)} right")
    except ReportError as error:
        status = 403 if "right" in str(error) or "outside your" in str(error) else 400
        raise HTTPException(status, str(error)) from error
    return request


@router.post("/api/reports/jobs", status_code=202)
def start_job(ask: ReportAsk, export: bool = False,
              caller: Caller = Depends(current_caller), engine: Engine = Depends(engine_of),
              trail: AuditTrail = Depends(audit_trail)) -> dict:
    request = _request(engine, caller, ask, export)
    job_id = jobs.queue(engine, request, ask.format, export, ask.reports, ask.members)
    for organisation in sorted(request.organisation_ids):  # an export of data is an action too
        trail.record("report.export" if export else "report.request", "report_job", job_id, organisation,
                     report=ask.report, format=ask.format)
    job_runner.queued(engine)  # a worker runs it (this process's, or one woken over the bus)
    return {"id": job_id, "status": "queued", "progress_url": f"/api/reports/jobs/{job_id}"}


def _job(engine, caller, job_id):
    with engine.connect() as conn:
        row = conn.execute(select(report_jobs).where(report_jobs.c.id == job_id)).first()
    if row is None or (row.requested_by or 0) != caller.user_id:
        raise HTTPException(404, f"no report job {job_id}")
    return row


@router.get("/api/reports/jobs/{job_id}")
def job_progress(job_id: str, caller: Caller = Depends(current_caller), engine: Engine = Depends(engine_of)) -> dict:
    row = _job(engine, caller, job_id)
    return {"id": row.id, "report": row.report, "format": row.format, "status": row.status,
            "rows_done": row.rows_done, "rows_total": row.rows_total, "error": row.error,
            "download_url": f"/api/reports/jobs/{job_id}/file" if row.status == "done" else None}


@router.get("/api/reports/jobs/{job_id}/file")
def job_file(job_id: str, caller: Caller = Depends(current_caller), engine: Engine = Depends(engine_of)):
    row = _job(engine, caller, job_id)
    if row.status != "done" or not row.file_path:
        raise HTTPException(409, f"report job {job_id} is {row.status}, not done")
    suffix = row.file_path.rsplit(".", 1)[-1]
    return FileResponse(row.file_path, media_type=MEDIA.get(suffix, "application/octet-stream"),
                        filename=f"{row.report.replace(':', '-')}.{suffix}")


@router.post("/api/reports/stream")
def stream_csv(ask: ReportAsk, caller: Caller = Depends(current_caller), engine: Engine = Depends(engine_of)):
    """A report as CSV, streamed while it is produced (for reports small enough to wait for)."""
    request = _request(engine, caller, ask, False)
    return StreamingResponse(csv_chunks(engine, request), media_type=MEDIA["csv"],
                             headers={"Content-Disposition": f'attachment; filename="{ask.report}.csv"'})


def register(app: FastAPI) -> None:
    app.include_router(router)
