"""A ZIP of several reports, each in one or more formats, then manifest.json naming every file with its report, rows,
time zone and period. Each member is written by its format's writer straight into the archive, one at a time: memory
stays what one report's writer needs, whatever the size."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timezone
from typing import BinaryIO, Sequence

from ..catalogue import REPORTS
from ..pipeline import Plan, Progress, zone_stated
from . import SUFFIX, WRITERS

MANIFEST = "manifest.json"


def write_zip(engine, plans: Sequence[Plan], formats: Sequence[str], out: BinaryIO,
              progress: Progress | None = None) -> int:
    """Every plan in every format; returns the rows of all files together."""
    made = datetime.now(timezone.utc)
    total = sum(plan.total for plan in plans) * len(formats)
    files, before = [], 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for plan in plans:
            request, report = plan.request, REPORTS[plan.request.report]
            for fmt in formats:
                info = zipfile.ZipInfo(f"{report.name}.{SUFFIX[fmt]}", made.timetuple()[:6])
                # an XLSX file is compressed already
                info.compress_type = zipfile.ZIP_STORED if fmt == "xlsx" else zipfile.ZIP_DEFLATED
                step = (lambda done, _total, at=before: progress(at + done, total)) if progress else None
                # zip64 from the start: a member's size is known only once written, and may pass 4 GiB
                with archive.open(info, "w", force_zip64=True) as member:
                    rows = WRITERS[fmt](engine, plan, member, step)
                before += plan.total
                zone = request.zone
                files.append({"file": info.filename, "report": report.name, "title": report.title, "format": fmt,
                              "rows": rows, "time_zone": zone_stated(request),
                              "from": request.start.astimezone(zone).isoformat(),
                              "to": request.end.astimezone(zone).isoformat(), "note": report.note})
        # "to" is exclusive; times in a file are in its "time_zone"
        archive.writestr(MANIFEST, json.dumps({"generated_at": made.isoformat(), "files": files},
                                              ensure_ascii=False, indent=2))
    return sum(entry["rows"] for entry in files)
