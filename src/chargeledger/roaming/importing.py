"""Partner CDRs in, as roaming sessions through the ledger: good rows imported, bad rows reported, re-import a no-op."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, select

from ..domain.events import EventKind, EventSource
from ..ledger.store import Ledger, NewEvent, SessionRef
from ..storage.tables import evses, session_events, stations
from .eviolin import reader as eviolin_reader
from .eviolin.reader import PartnerCdr, RowError
from .ocpi import reader as ocpi_reader

READERS = {"eviolin": eviolin_reader.read, "ocpi": ocpi_reader.read}


@dataclass
class ImportResult:
    imported: int = 0
    already_known: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _evse_index(engine: Engine) -> dict[str, tuple[str, str, str, str]]:
    """Compact EVSE-ID (no '*', upper case) -> (evse_id, station, site, organisation)."""
    with engine.connect() as conn:
        rows = conn.execute(select(evses.c.evse_id, stations.c.id, stations.c.site_id, stations.c.organisation_id)
                            .join(stations, stations.c.id == evses.c.station_id))
        return {r[0].replace("*", "").upper(): tuple(r) for r in rows}


def import_cdrs(engine: Engine, path: Path, fmt: str, network: str = "OCPI") -> ImportResult:
    if fmt not in READERS:
        raise RowError(f"unknown format {fmt!r}; choose from {', '.join(READERS)}")
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").splitlines(keepends=True)
    except (OSError, UnicodeDecodeError) as error:
        raise RowError(f"cannot read {path}: {error}") from None
    index = _evse_index(engine)
    ledger = Ledger(engine)
    result = ImportResult()
    for line, item in READERS[fmt](lines):
        if isinstance(item, RowError):
            result.errors.append((line, str(item)))
            continue
        place = index.get(item.evse_id.replace("*", "").upper())
        if place is None:
            result.errors.append((line, f"unknown charge point {item.evse_id!r}: no EVSE with this ID"))
            continue
        if _record(ledger, item, place, network, fmt):
            result.imported += 1
        else:
            result.already_known += 1
    return result


def _record(ledger: Ledger, cdr: PartnerCdr, place, network: str, fmt: str) -> bool:
    evse_id, station_id, site_id, organisation_id = place
    key = f"roaming:{fmt}:{cdr.cdr_id}"
    energy_wh = float(cdr.energy_kwh * 1000)
    events = [
        NewEvent(EventKind.SESSION_RECORDED, cdr.start, EventSource.ROAMING, {
            "stopped_at": cdr.end.isoformat(), "energy_wh": energy_wh, "id_token": cdr.auth_id,
            "contract_id": cdr.contract_id, "start_source_raw": "rfid" if cdr.auth_id else "remotestart",
            "partner_calculated_cost": str(cdr.cost) if cdr.cost is not None else None,
        }, idempotency_key=f"{key}:recorded"),
        NewEvent(EventKind.ROAMING_ATTRIBUTED, cdr.start, EventSource.ROAMING, {
            "network": network, "operator_id": cdr.operator_id, "provider_id": cdr.provider_id,
            "roaming_cdr_id": cdr.cdr_id, "partner_transaction_id": None,
        }, idempotency_key=f"{key}:roaming"),
    ]
    with ledger.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(session_events)
                              .where(session_events.c.idempotency_key == f"{key}:recorded")).scalar_one()
    ledger.record(SessionRef(key, organisation_id, site_id, station_id, evse_id, 1), events)
    return before == 0
