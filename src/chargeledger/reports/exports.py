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
from ..roaming.cdr_model import CdrRefused, cdr_id
from ..roaming.eviolin.columns import COLUMNS, eviolin_row, provider_key
from ..roaming.eviolin.full import FULL_COLUMNS, full_row
from ..roaming.oicp.cdr import oicp_cdr
from ..roaming.ocpi.cdr import ocpi_cdr
from .cdr_source import Progress, cdr_rows, previous_version
from .request import ReportError, ReportRequest, missing_rights
from .splits import SPLITS, split_export

Log = Callable[[str], None]
NOT_ROAMED, ALL_EMSPS = "not_roamed.csv", "cdrs_all_emsps.csv"


def _zip_per_provider(conn, request, work: Path, target: Path, columns, make_row, per_provider: bool,
                      progress) -> int:
    folder = work / "files"
    folder.mkdir()
    writers: dict[str, tuple] = {}

    def writer(name: str):
        if name not in writers:
            handle = open(folder / name, "w", encoding="utf-8", newline="")
            writers[name] = (handle, csv.writer(handle, lineterminator="\r\n"))
            writers[name][1].writerow(columns)
        return writers[name][1]

    done = 0
    try:
        for name in (NOT_ROAMED,) if per_provider else (NOT_ROAMED, ALL_EMSPS):  # the seed's shape, even if empty
            writer(name)
        for row in cdr_rows(conn, request, progress):
            provider = provider_key(row)
            name = NOT_ROAMED if provider is None else (f"cdrs_{provider}.csv" if per_provider else ALL_EMSPS)
            writer(name).writerow(make_row(row))
            done += 1
    finally:
        for handle, _ in writers.values():
            handle.close()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
    return done


def _json_lines(conn, request, target: Path, make, credits: bool, progress, log: Log) -> int:
    done = 0
    with open(target, "w", encoding="utf-8") as out:
        for row in cdr_rows(conn, request, progress, every_version=credits):
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


def export_rights(fmt: str) -> tuple[Right, ...]:
    # the splits' columns are revenue, shares of it, or money owed to a payee
    return (Right.REPORTS, Right.FINANCE) if fmt in SPLITS else (Right.REPORTS,)


EXPORTS = {
    "eviolin": lambda c, r, w, t, p, _log: _zip_per_provider(c, r, w, t, COLUMNS, eviolin_row, True, p),
    "eviolin-full": lambda c, r, w, t, p, _log: _zip_per_provider(c, r, w, t, FULL_COLUMNS, full_row, False, p),
    "ocpi": lambda c, r, w, t, p, log: _json_lines(c, r, t, ocpi_cdr, True, p, log),
    "oicp": lambda c, r, w, t, p, log: _json_lines(c, r, t, oicp_cdr, False, p, log),
    **{name: lambda c, r, w, t, p, _log, name=name: split_export(c, r, t, p, name) for name in SPLITS},
}
