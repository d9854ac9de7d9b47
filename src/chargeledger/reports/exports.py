"""CDR exports by CDR creation date: eViolin (ZIP per eMSP), eViolin full, reimbursement, tariff distribution,
OCPI and OICP (JSON lines). Every export streams rows to disk; nothing is held per row in memory."""

from __future__ import annotations

import csv
import json
import logging
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine

from ..access.rights import Right
from ..roaming.eviolin.columns import COLUMNS, eviolin_row, provider_key
from ..roaming.eviolin.full import FULL_COLUMNS, full_row
from ..roaming.oicp.cdr import oicp_cdr
from ..roaming.ocpi.cdr import ocpi_cdr
from ..roaming.cdr_model import CdrRefused, cdr_id
from .cdr_source import cdr_query, cdr_rows, previous_version
from .request import ReportError, ReportRequest, missing_rights
from .source import count
from .splits import reimbursement_export, tariff_distribution_export

Progress = Callable[[int, int], None]
Log = Callable[[str], None]
NOT_ROAMED = "not_roamed.csv"


def _csv(handle):
    return csv.writer(handle, lineterminator="\r\n")


def _zip_per_provider(conn, request, folder: Path, target: Path, columns, make_row, per_provider: bool,
                      progress) -> int:
    handles: dict[str, tuple] = {}
    done = 0
    total = count(conn, cdr_query(request)) if progress else 0
    try:
        for row in cdr_rows(conn, request):
            provider = provider_key(row)
            name = NOT_ROAMED if provider is None else (f"cdrs_{provider}.csv" if per_provider else "cdrs_all_emsps.csv")
            if name not in handles:
                handle = open(folder / name, "w", encoding="utf-8", newline="")
                writer = _csv(handle)
                writer.writerow(columns)
                handles[name] = (handle, writer)
            handles[name][1].writerow(make_row(row))
            done += 1
            if progress and done % 1000 == 0:
                progress(done, total)
    finally:
        for handle, _ in handles.values():
            handle.close()
    for name in (NOT_ROAMED, "cdrs_all_emsps.csv"):  # the seed's two-file shape, even when one is empty
        if name == NOT_ROAMED or not per_provider:
            if name not in handles:
                with open(folder / name, "w", encoding="utf-8", newline="") as handle:
                    _csv(handle).writerow(columns)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
    if progress:
        progress(done, total)
    return done


def _json_lines(conn, request, target: Path, make, credits: bool, progress, log: Log) -> int:
    done = 0
    total = count(conn, cdr_query(request, credits)) if progress else 0
    with open(target, "w", encoding="utf-8") as out:
        for row in cdr_rows(conn, request, every_version=credits):
            try:
                lines = []
                if credits and row.settlement_version > 1:
                    earlier = previous_version(conn, row.session_id, row.settlement_version)
                    if earlier is not None:  # credit the CDR this re-pricing replaces, then send the new one
                        original = cdr_id(earlier.session_id, earlier.settlement_version)
                        lines.append(make(earlier, original, row.settled_at))  # issued now
                lines.append(make(row) if not credits else make(row, None))
            except CdrRefused as refused:  # skipped whole (credit and new CDR), with the reason in the log
                log(str(refused))
                continue
            for cdr in lines:
                out.write(json.dumps(cdr, ensure_ascii=False) + "\n")
            done += 1
            if progress and done % 1000 == 0:
                progress(done, total)
    if progress:
        progress(done, total)
    return done


def write_export(engine: Engine, request: ReportRequest, fmt: str, target: Path,
                 progress: Progress | None = None, log: Log | None = None) -> int:
    """Write the export; CDRs a format cannot carry are skipped, each with one line to `log` (default: logging)."""
    log = log or logging.getLogger("chargeledger.exports").error
    if fmt not in EXPORTS:
        raise ReportError(f"unknown export format {fmt!r}; choose from {', '.join(EXPORTS)}")
    missing = missing_rights(export_rights(fmt), request.caller)
    if Right.REPORTS.value in missing:
        raise ReportError("CDR exports need the reports right")
    if missing:
        raise ReportError(f"the {fmt} export shows revenue and amounts owed: it needs the finance right")
    target = Path(target)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent or "."))
    staged = work / "result"
    try:
        with engine.connect() as conn:
            done = EXPORTS[fmt](conn, request, work, staged, progress, log)
        os.replace(staged, target)
        return done
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _files(work: Path) -> Path:
    folder = work / "files"
    folder.mkdir()
    return folder


# exports whose columns are revenue, shares of it, or money owed to a payee
FINANCE_EXPORTS = ("reimbursement", "tariff-distribution")

def export_rights(fmt: str) -> tuple[Right, ...]:
    return (Right.REPORTS, Right.FINANCE) if fmt in FINANCE_EXPORTS else (Right.REPORTS,)


EXPORTS = {
    "eviolin": lambda c, r, w, t, p, _log: _zip_per_provider(c, r, _files(w), t, COLUMNS, eviolin_row, True, p),
    "eviolin-full": lambda c, r, w, t, p, _log: _zip_per_provider(c, r, _files(w), t, FULL_COLUMNS, full_row, False,
                                                                  p),
    "ocpi": lambda c, r, w, t, p, log: _json_lines(c, r, t, ocpi_cdr, True, p, log),
    "oicp": lambda c, r, w, t, p, log: _json_lines(c, r, t, lambda row: oicp_cdr(row), False, p, log),
    "reimbursement": lambda c, r, w, t, p, _log: reimbursement_export(c, r, t, p),
    "tariff-distribution": lambda c, r, w, t, p, _log: tariff_distribution_export(c, r, t, p),
}
