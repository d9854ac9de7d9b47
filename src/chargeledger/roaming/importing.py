"""Partner CDRs in, as roaming sessions through the ledger: good rows imported, bad rows reported, re-import a
no-op, a CDR sent again with other figures a correction that prices the session again."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select

from ..domain.events import EventKind, EventSource
from ..domain.typed_events import LateFacts, Settled
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
    corrected: int = 0  # sent again with other figures: recorded anew and, if settled, priced again
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
        outcome = _record(ledger, item, place, network, fmt)
        if outcome == "imported":
            result.imported += 1
        elif outcome == "corrected":
            result.corrected += 1
        else:
            result.already_known += 1
    return result


def _record(ledger: Ledger, cdr: PartnerCdr, place, network: str, fmt: str) -> str:
    """Record a partner CDR; answers "imported", "known" (the same CDR again) or "corrected".

    A partner that sends a CDR again under its ID with other figures has corrected it: the session takes the new
    facts as a new SESSION_RECORDED, and if it was settled already, LATE_FACTS prices it again as a new version
    (settlement/subscribers.py), carrying the difference to the payment.
    """
    evse_id, station_id, site_id, organisation_id = place
    key = f"roaming:{fmt}:{cdr.cdr_id}"
    energy_wh = float(cdr.energy_kwh * 1000)
    facts = {"stopped_at": cdr.end.isoformat(), "energy_wh": energy_wh, "id_token": cdr.auth_id,
             "contract_id": cdr.contract_id, "start_source_raw": "rfid" if cdr.auth_id else "remotestart",
             "partner_calculated_cost": str(cdr.cost) if cdr.cost is not None else None}
    recorded, settled = _earlier(ledger, key)
    if recorded and all(recorded[-1].get(name) == value for name, value in facts.items()):
        return "known"
    version = f":v{len(recorded) + 1}" if recorded else ""
    events = [NewEvent(EventKind.SESSION_RECORDED, cdr.start, EventSource.ROAMING, facts,
                       idempotency_key=f"{key}:recorded{version}")]
    if not recorded:
        events.append(NewEvent(EventKind.ROAMING_ATTRIBUTED, cdr.start, EventSource.ROAMING, {
            "network": network, "operator_id": cdr.operator_id, "provider_id": cdr.provider_id,
            "roaming_cdr_id": cdr.cdr_id, "partner_transaction_id": None,
        }, idempotency_key=f"{key}:roaming"))
        # a partner CDR describes a finished session: nothing more will come, so it is priced and invoiced now
        events.append(NewEvent.of(Settled(why="partner CDR"), cdr.end, EventSource.ROAMING, f"{key}:settled"))
    elif settled:
        events.append(NewEvent.of(LateFacts(), cdr.end, EventSource.ROAMING, f"{key}:late{version}"))
    ledger.record(SessionRef(key, organisation_id, site_id, station_id, evse_id, 1), events)
    return "corrected" if recorded else "imported"


def _earlier(ledger: Ledger, key: str) -> tuple[list[dict], bool]:
    """The facts this CDR was recorded with so far (oldest first), and whether its session is settled."""
    with ledger.engine.connect() as conn:
        session_id = conn.execute(select(session_events.c.session_id)
                                  .where(session_events.c.idempotency_key == f"{key}:recorded")).scalar()
        if session_id is None:
            return [], False
        rows = conn.execute(select(session_events.c.kind, session_events.c.payload)
                            .where(session_events.c.session_id == session_id).order_by(session_events.c.seq)).all()
    recorded = [dict(r.payload or {}) for r in rows if r.kind == EventKind.SESSION_RECORDED.value]
    return recorded, any(r.kind == EventKind.SETTLED.value for r in rows)
