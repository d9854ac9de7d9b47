"""Importing session history: every valid row becomes a recorded session; every bad row is reported, none is lost.

Importing the same file again adds nothing: a session's external key is `import:{source}:{row session id}`.
"""

from __future__ import annotations

import gc
import re
import uuid
from contextlib import contextmanager
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine, select

from ..domain.events import EventKind, EventSource
from ..domain.typed_events import VERSION_KEY, SessionRecorded
from ..ledger.store import NewEvent, SessionRef, utcnow
from ..storage.tables import import_runs, session_events, sessions
from .bulk import SessionRecord, existing_keys, record_many
from .mapping import Mapping, MappingError
from .network import Placement, create_missing, driver_of, evse_of, place, station_of
from .rows import RowError, SessionRow, parse_rows
from .sources import open_source
from .values import BadValue, undecodable

_KIND = re.compile(r"'[^']*'|\b\d[\d,.:-]*\b")

BATCH = 5000  # rows read, checked and stored together: memory stays flat however long the file
STORED_ERRORS = 1000  # the import_runs row keeps the first ones; the report has them all
Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    source: str
    file: str
    encoding: str = ""
    dry_run: bool = False
    rows_total: int = 0
    imported: int = 0
    skipped: int = 0            # already stored by an earlier import: left as they are
    skipped_by_rule: int = 0    # left out on purpose by a [rules] skip (e.g. still open at export)
    flagged: int = 0            # valid rows with implausible values: imported with a data-quality flag
    kwh_imported: Decimal = Decimal(0)
    kwh_valid: Decimal = Decimal(0)  # of every valid row, stored now or before
    errors: list[RowError] = field(default_factory=list)
    run_id: int | None = None

    @property
    def rejected(self) -> int:
        return len(self.errors)

    def reasons(self) -> Counter:
        """Rejections by kind: the reason with the row's own values (quoted, or numbers) taken out."""
        return Counter(_KIND.sub("…", e.reason) for e in self.errors)


def _skipped(mapping: Mapping, header: list[str], cells: list[str]) -> bool:
    row = dict(zip(header, cells))
    return any(row.get(column, "").strip() in values for column, values in mapping.skip)


def external_key(mapping: Mapping, session_id: str) -> str:
    return f"import:{mapping.name}:{session_id}"


def _record(mapping: Mapping, placement: Placement, file_name: str, run: str, row: SessionRow,
            where: tuple[str | None, str | None, str | None, int | None]) -> SessionRecord:
    key = external_key(mapping, row.session_id)
    payload = {
        VERSION_KEY: SessionRecorded.version,  # written in its stored form: nothing for the ledger to convert
        "started_at": row.started_at.isoformat(), "stopped_at": row.stopped_at.isoformat() if row.stopped_at else None,
        "energy_wh": int(row.energy_wh) if row.energy_wh == row.energy_wh.to_integral() else float(row.energy_wh),
        "source_row": {"file": file_name, "line": row.line, "session_id": row.session_id, "digest": row.digest,
                       "run": run},
    }
    if mapping.stop_is_unplug and row.stopped_at:
        payload["unplugged_at"] = payload["stopped_at"]
    if row.token:
        payload["id_token"] = row.token
    if row.token_type:
        payload["token_type"] = row.token_type
    driver = driver_of(placement, mapping, row.driver)
    if driver:
        payload["driver_id"] = driver
    if row.amount is not None:
        payload["amount_paid"] = str(row.amount)
        payload["currency"] = row.currency
    if row.start_source:
        payload["start_source_raw"] = row.start_source
    if row.implausible:
        payload["implausible"] = list(row.implausible)
    events = [NewEvent(EventKind.SESSION_RECORDED, row.started_at, EventSource.IMPORT, payload, f"{key}:recorded")]
    if row.network:  # at the start, so the session's last event is still its start (as `recorded_summary` writes)
        events.append(NewEvent(EventKind.ROAMING_ATTRIBUTED, row.started_at, EventSource.IMPORT, {
            "network": row.network, "operator_id": row.operator, "provider_id": row.provider,
            "roaming_cdr_id": None, "partner_transaction_id": None}, f"{key}:roaming"))
    if row.stopped_at is None:  # mapping says close_at_start: flagged, never a silently open session
        events.append(NewEvent(EventKind.FORCE_CLOSED, row.started_at, EventSource.IMPORT,
                               {"by": "import", "why": "the source file has no stop time"}, f"{key}:closed"))
    if row.custom:
        events.append(NewEvent(EventKind.CUSTOM_FIELDS_SET, row.started_at, EventSource.IMPORT,
                               {"fields": row.custom}, f"{key}:custom"))
    paid = (row.amount, row.currency, f"import:{mapping.name}") if row.amount else None
    station, site, evse, connector = where
    return SessionRecord(SessionRef(key, placement.organisation, site, station, evse, connector), events, paid=paid)


def _changed(engine: Engine, keys: list[str], digests: dict[str, SessionRow], run: str
             ) -> tuple[list[RowError], list[SessionRow]]:
    """Rows already stored that are not simply re-sent: a session id this very import stored from another line (the
    file repeats it), or one imported before with other cells. Reported; the stored session is kept as it was."""
    errors, repeats = [], []
    with engine.connect() as conn:
        for i in range(0, len(keys), 500):
            wanted = [f"{k}:recorded" for k in keys[i:i + 500]]
            for ikey, payload in conn.execute(select(session_events.c.idempotency_key, session_events.c.payload)
                                              .where(session_events.c.idempotency_key.in_(wanted))):
                row = digests[ikey.removesuffix(":recorded")]
                stored = (payload or {}).get("source_row", {})
                if stored.get("run") == run:
                    errors.append(RowError(row.line, f"session id {row.session_id} repeats line {stored.get('line')}"))
                    repeats.append(row)
                elif stored.get("digest") not in (None, row.digest):
                    errors.append(RowError(row.line, f"session {row.session_id} was imported before (line "
                                                     f"{stored.get('line')}) with other values; the stored one is kept"))
    return errors, repeats


def import_sessions(engine: Engine, path: str | Path, mapping: Mapping, org: str | None = None,
                    dry_run: bool = False, progress: Progress | None = None, now: datetime | None = None,
                    notify: bool = False) -> ImportReport:
    """Read, check and store a session-history file; raises MappingError when the mapping or file is unusable.

    `notify` runs the ledger's reactions (tariff freeze…) per imported session; off by default because history
    was priced and paid in its own time, and today's tariff must not be frozen onto it.
    """
    path = Path(path)
    started = now or utcnow()
    report = ImportReport(mapping.name, path.name, dry_run=dry_run)
    try:
        source = open_source(path, mapping)
    except BadValue as exc:
        raise MappingError(str(exc)) from None
    report.encoding = source.encoding
    placement = place(engine, mapping, org)
    # Repeats of a session id are found by the database (a key this run stored, see `_changed`), so memory stays flat
    # however long the file; a dry run stores nothing, so it remembers the ids itself.
    first_line: dict[str, int] | None = {} if dry_run else None
    run = uuid.uuid4().hex[:12]
    done = 0
    for batch in _batches(source.rows, BATCH):
        with _collector_paused():
            done += _import_batch(engine, mapping, placement, path.name, run, source, batch, first_line, report,
                                  notify)
        if progress:
            progress(done, max(done, source.total or 0))
    if progress:  # the total was an estimate (a quoted cell may span lines): the bar ends full
        progress(done, done)
    report.errors = sorted((e if e.where else replace(e, where=source.place(e.line)) for e in report.errors),
                           key=lambda e: e.line)
    if not dry_run:
        report.run_id = _log_run(engine, report, started)
    return report


@contextmanager
def _collector_paused():
    """A batch makes ~100,000 small containers that live until it is stored; Python's cyclic collector would walk
    them over and over (~40% of an import's CPU). Nothing in a batch forms a cycle, so reference counting frees it;
    the collector runs again between batches."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import_batch(engine: Engine, mapping: Mapping, placement: Placement, file_name: str, run: str, source,
                  batch: list, first_line: dict[str, int] | None, report: ImportReport, notify: bool) -> int:
    """Check, place and store one batch of read rows; the number of rows it held."""
    readable = []
    for line, cells in batch:
        report.rows_total += 1
        if isinstance(cells, RowError):
            report.errors.append(cells)
        elif source.lossy and (why := _bad_bytes(source, cells, report.encoding)):
            report.errors.append(RowError(line, why))
        elif mapping.skip and _skipped(mapping, source.header, cells):
            report.skipped_by_rule += 1
        else:
            readable.append((line, cells))
    valid = []
    seen = first_line if first_line is not None else {}  # this batch's ids: not in the database yet
    for parsed in parse_rows(mapping, source.header, readable):
        if isinstance(parsed, RowError):
            report.errors.append(parsed)
            continue
        if parsed.session_id in seen:
            report.errors.append(RowError(parsed.line, f"session id {parsed.session_id} repeats line "
                                                       f"{seen[parsed.session_id]}"))
            continue
        seen[parsed.session_id] = parsed.line
        report.flagged += bool(parsed.implausible)
        where = station_of(placement, mapping, parsed.station, parsed.site)
        if not isinstance(where, str):
            where = evse_of(placement, mapping, *where, parsed)
        if isinstance(where, str):
            report.errors.append(RowError(parsed.line, where))
            continue
        valid.append((parsed, where))
    _store(engine, mapping, placement, file_name, run, valid, report, notify)
    return len(batch)


def _batches(rows, size: int):
    batch = []
    for item in rows:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _bad_bytes(source, cells: list[str], encoding: str) -> str | None:
    return next((f"{column}: {why}" for column, cell in zip(source.header, cells)
                 if (why := undecodable(cell, encoding))), None)


def _store(engine: Engine, mapping: Mapping, placement: Placement, file_name: str, run: str,
           valid: list[tuple[SessionRow, tuple]], report: ImportReport, notify: bool) -> None:
    """One batch of checked rows: the network they need first, then their sessions in one transaction."""
    if not valid:
        return
    records = [_record(mapping, placement, file_name, run, row, where) for row, where in valid]
    by_key = {r.ref.external_key: row for r, (row, _) in zip(records, valid)}
    if report.dry_run:
        with engine.connect() as conn:
            stored = existing_keys(conn, sessions.c.external_key, list(by_key))
        added = [k for k in by_key if k not in stored]
        skipped = sorted(stored)
    else:
        create_missing(engine, mapping, placement)
        result = record_many(engine, records, now=None, notify=notify)
        added, skipped = list(result.added), result.skipped
    report.imported += len(added)
    report.kwh_imported += sum((by_key[k].energy_wh for k in added), Decimal(0)) / 1000
    report.kwh_valid += sum((row.energy_wh for row, _ in valid), Decimal(0)) / 1000
    changed, repeats = _changed(engine, skipped, by_key, run) if skipped else ([], [])
    report.skipped += len(skipped) - len(changed)
    report.errors.extend(changed)
    for row in repeats:  # a repeat within the file is a rejected row, not a valid one
        report.kwh_valid -= row.energy_wh / 1000
        report.flagged -= bool(row.implausible)


def _log_run(engine: Engine, report: ImportReport, started: datetime) -> int:
    with engine.begin() as conn:
        return conn.execute(import_runs.insert().values(
            source=f"{report.source}:{report.file}"[:300], started_at=started, rows_total=report.rows_total,
            rows_imported=report.imported, rows_skipped=report.skipped, rows_rejected=report.rejected,
            errors=[{"line": e.line, "reason": e.reason, **({"where": e.where} if e.where else {})}
                    for e in report.errors[:STORED_ERRORS]],
        )).inserted_primary_key[0]
