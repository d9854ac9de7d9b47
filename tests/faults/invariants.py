"""What must hold after any run, as pure checks over a snapshot of the database and the acknowledgement logs.

Each check returns its violations (strings, one per broken fact); an empty list is a pass.
  a  every acknowledged OCPP call is in the ledger exactly once
  b  every 2xx refund is stored, with the status answered, and has exactly one ledger entry saying the same
  c  payment totals equal ledger totals, and no payment refunded more than it captured
  d  no session left unsettled: every session whose stop and unplug were acknowledged has a current settlement
     and a payment that is not pending; and no duplicates (one current settlement, one payment per session)
  e  every import that exited 0 stored every row of its file, once
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import Engine, select

from chargeledger.storage.tables import meter_samples, payments, refunds, session_events, session_settlements, sessions

from .chargers import Ack
from .operators import RefundAck

ZERO = Decimal(0)


@dataclass
class Snapshot:
    sessions: dict[int, str] = field(default_factory=dict)              # session id -> station id
    keys: Counter = field(default_factory=Counter)                      # sessions' external keys
    events: list[dict] = field(default_factory=list)                    # session_id, kind, payload, key
    samples: set[tuple[int, float, float]] = field(default_factory=set)  # session id, epoch seconds, value
    settlements: list[dict] = field(default_factory=list)               # session_id, version, current
    payments: list[dict] = field(default_factory=list)                  # id, session_id, status, captured
    refunds: list[dict] = field(default_factory=list)                   # id, session_id, amount, status


def _epoch(value: datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return round(value.timestamp(), 3)


def snapshot(engine: Engine) -> Snapshot:
    with engine.connect() as conn:
        return Snapshot(
            sessions={r.id: r.station_id for r in conn.execute(select(sessions.c.id, sessions.c.station_id))},
            keys=Counter(conn.execute(select(sessions.c.external_key)).scalars()),
            events=[{"session_id": r.session_id, "kind": r.kind, "payload": r.payload or {},
                     "key": r.idempotency_key} for r in conn.execute(select(
                         session_events.c.session_id, session_events.c.kind, session_events.c.payload,
                         session_events.c.idempotency_key))],
            samples={(r.session_id, _epoch(r.time), float(r.value)) for r in conn.execute(select(
                meter_samples.c.session_id, meter_samples.c.time, meter_samples.c.value))},
            settlements=[dict(r._mapping) for r in conn.execute(select(
                session_settlements.c.session_id, session_settlements.c.version, session_settlements.c.current))],
            payments=[{"id": r.id, "session_id": r.session_id, "status": r.status, "method": r.method,
                       "captured": Decimal(r.amount_captured)} for r in conn.execute(select(payments))],
            refunds=[{"id": r.id, "session_id": r.session_id, "amount": Decimal(r.amount), "status": r.status}
                     for r in conn.execute(select(refunds))])


def _session_of(snap: Snapshot, ack: Ack) -> int | None:
    if ack.version == "1.6":
        sid = int(ack.transaction)
        return sid if sid in snap.sessions else None
    for e in snap.events:  # 2.0.1: the charger's transaction id is in the transaction events' payload
        if e["payload"].get("transaction_id") == ack.transaction and snap.sessions.get(e["session_id"]) == ack.station:
            return e["session_id"]
    return None


FACT_KIND = {"started": "transaction_started", "stopped": "transaction_stopped", "unplugged": "unplugged"}


def acknowledged_calls(snap: Snapshot, acks: list[Ack]) -> list[str]:
    """(a) Exactly once: a resent or duplicated call must not add a second start, stop or unplug."""
    kinds = Counter((e["session_id"], e["kind"]) for e in snap.events)
    found: list[str] = []
    for ack in acks:
        sid = _session_of(snap, ack)
        if sid is None:
            found.append(f"{ack.station} {ack.fact} of transaction {ack.transaction}: no session")
        elif ack.fact == "reading":
            if (sid, _epoch(ack.at), ack.value) not in snap.samples:
                found.append(f"{ack.station} reading {ack.value} at {ack.at} (session {sid}): not stored")
        elif kinds[(sid, FACT_KIND[ack.fact])] != 1:
            found.append(f"{ack.station} {ack.fact} (session {sid}): {kinds[(sid, FACT_KIND[ack.fact])]} times")
    return sorted(set(found))


def acknowledged_refunds(snap: Snapshot, answered: list[RefundAck]) -> list[str]:
    """(b) What the API answered 2xx is stored as answered, with exactly one ledger entry."""
    stored = {r["id"]: r for r in snap.refunds}
    entries = defaultdict(list)
    for e in snap.events:
        if e["kind"] == "refund_recorded":
            entries[e["payload"].get("refund_id")].append(e)
    found = []
    for ack in answered:
        row = stored.get(ack.refund_id)
        if row is None:
            found.append(f"refund {ack.refund_id} ({ack.amount}, session {ack.session_id}): answered, not stored")
            continue
        if row["amount"] != ack.amount or row["session_id"] != ack.session_id:
            found.append(f"refund {ack.refund_id}: stored {row['amount']} on {row['session_id']}, "
                         f"answered {ack.amount} on {ack.session_id}")
        if len(entries[ack.refund_id]) != 1:
            found.append(f"refund {ack.refund_id}: {len(entries[ack.refund_id])} ledger entries")
        elif entries[ack.refund_id][0]["payload"].get("status") != row["status"]:
            found.append(f"refund {ack.refund_id}: ledger says {entries[ack.refund_id][0]['payload'].get('status')}"
                         f", stored {row['status']}")
    return sorted(set(found))


def money_totals(snap: Snapshot) -> list[str]:
    """(c) Per payment: captured = the ledger's captures; refunded = the ledger's refunds, and <= captured."""
    ledger_captured: dict[int, Decimal] = defaultdict(lambda: ZERO)
    ledger_refunded: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for e in snap.events:
        p = e["payload"]
        if e["kind"] == "payment_recorded":
            ledger_captured[e["session_id"]] += Decimal(p.get("amount_captured") or 0)
        elif e["kind"] == "payment_adjusted" and (p.get("move") == "extra capture" and p.get("captured")
                                                  or str(p.get("move", "")).startswith("prepaid balance")):
            ledger_captured[e["session_id"]] += Decimal(p["difference"])
        elif e["kind"] == "refund_recorded" and p.get("status") == "succeeded":
            ledger_refunded[e["session_id"]] += Decimal(p["amount"])
    stored_refunded: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for r in snap.refunds:
        if r["status"] == "succeeded":
            stored_refunded[r["session_id"]] += r["amount"]
    found = []
    for pay in snap.payments:
        sid = pay["session_id"]
        if pay["status"] != "pending" and pay["captured"] != ledger_captured[sid]:
            found.append(f"payment {pay['id']} (session {sid}): captured {pay['captured']}, "
                         f"ledger {ledger_captured[sid]}")
        if stored_refunded[sid] != ledger_refunded[sid]:
            found.append(f"session {sid}: refunds {stored_refunded[sid]}, ledger {ledger_refunded[sid]}")
        if stored_refunded[sid] > pay["captured"]:
            found.append(f"session {sid}: refunded {stored_refunded[sid]} of {pay['captured']} captured")
    return sorted(set(found))


def settled_sessions(snap: Snapshot, acks: list[Ack]) -> list[str]:
    """(d) A session whose stop and unplug were acknowledged is settled and paid; nothing is there twice."""
    done: dict[tuple, set[str]] = defaultdict(set)
    for ack in acks:
        done[(ack.station, ack.version, ack.transaction)].add(ack.fact)
    current = Counter(s["session_id"] for s in snap.settlements if s["current"])
    paid = Counter(p["session_id"] for p in snap.payments)
    pending = {p["session_id"] for p in snap.payments if p["status"] == "pending"}
    found = []
    for (station, version, tx), facts in done.items():
        if not {"stopped", "unplugged"} <= facts:
            continue
        sid = _session_of(snap, Ack(station, version, "stopped", tx))
        if sid is None:
            continue  # (a) reports it
        if current[sid] == 0:
            found.append(f"session {sid} ({station}): stopped and unplugged, not settled")
        elif paid[sid] == 0 or sid in pending:
            found.append(f"session {sid} ({station}): settled, payment {'pending' if paid[sid] else 'missing'}")
    for sid, n in current.items():
        if n > 1:
            found.append(f"session {sid}: {n} current settlements")
    for sid, n in paid.items():
        if n > 1:
            found.append(f"session {sid}: {n} payments")
    return sorted(set(found))


def imported_rows(snap: Snapshot, imported: list[tuple[str, list[str]]]) -> list[str]:
    """(e) An import that answered success (exit 0) has each row as one session (importing/sessions.py's key)."""
    found = []
    for mapping, rows in imported:
        for row in rows:
            key = f"import:{mapping}:{row}"
            if snap.keys[key] != 1:
                found.append(f"imported row {row} ({mapping}): {snap.keys[key]} sessions")
    return sorted(set(found))


def check_all(snap: Snapshot, acks: list[Ack], answered: list[RefundAck],
              imported: list[tuple[str, list[str]]] = ()) -> dict[str, list[str]]:
    return {"a": acknowledged_calls(snap, acks), "b": acknowledged_refunds(snap, answered),
            "c": money_totals(snap), "d": settled_sessions(snap, acks), "e": imported_rows(snap, list(imported))}
