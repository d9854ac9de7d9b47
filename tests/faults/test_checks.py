"""The invariant checks themselves: each one finds a planted fault (a check that cannot fail proves nothing), and
reads a real database of either store correctly (a clean ledger passes, the same ledger with a row removed fails)."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import delete

from chargeledger.storage.tables import session_events
from tests.payments.test_refunds_api import _refund, _setup

from .chargers import Ack
from .invariants import Snapshot, check_all, snapshot
from .operators import RefundAck

T = datetime(2026, 1, 1, 8, tzinfo=timezone.utc)


def _clean() -> tuple[Snapshot, list[Ack], list[RefundAck]]:
    """Session 7 on a 1.6 charger, started, one reading, stopped, unplugged, settled, paid 5.00, refunded 1.00."""
    snap = Snapshot(
        sessions={7: "CP-1"},
        events=[{"session_id": 7, "kind": k, "payload": p, "key": f"k{i}"} for i, (k, p) in enumerate([
            ("transaction_started", {"transaction_id": "7"}), ("transaction_stopped", {}), ("unplugged", {}),
            ("payment_recorded", {"amount_captured": "5.00"}),
            ("refund_recorded", {"refund_id": 1, "amount": "1.00", "status": "succeeded"})])],
        samples={(7, T.timestamp(), 1200.0)},
        settlements=[{"session_id": 7, "version": 1, "current": True}],
        payments=[{"id": 3, "session_id": 7, "status": "partly_refunded", "method": "card",
                   "captured": Decimal("5.00")}],
        refunds=[{"id": 1, "session_id": 7, "amount": Decimal("1.00"), "status": "succeeded"}])
    acks = [Ack("CP-1", "1.6", "started", "7"), Ack("CP-1", "1.6", "reading", "7", T, 1200.0),
            Ack("CP-1", "1.6", "stopped", "7"), Ack("CP-1", "1.6", "unplugged", "7")]
    return snap, acks, [RefundAck(7, 1, Decimal("1.00"), "succeeded", "r1")]


def _only(violations: dict, which: str) -> list[str]:
    assert all(not v for k, v in violations.items() if k != which), violations
    assert violations[which], f"({which}) did not see the planted fault"
    return violations[which]


def test_a_clean_ledger_passes_every_check():
    assert check_all(*_clean()) == {"a": [], "b": [], "c": [], "d": [], "e": []}


def test_a_lost_reading_and_a_duplicated_start_are_found():
    snap, acks, refunds = _clean()
    lost = copy.deepcopy(snap)
    lost.samples.clear()
    assert "not stored" in _only(check_all(lost, acks, refunds), "a")[0]
    twice = copy.deepcopy(snap)
    twice.events.append({"session_id": 7, "kind": "transaction_started", "payload": {}, "key": "again"})
    assert "2 times" in _only(check_all(twice, acks, refunds), "a")[0]
    gone = copy.deepcopy(snap)
    gone.sessions.clear()
    assert any("no session" in v for v in check_all(gone, acks, refunds)["a"])


def test_b_a_refund_answered_but_missing_or_without_its_ledger_entry_is_found():
    snap, acks, refunds = _clean()
    missing = copy.deepcopy(snap)
    missing.refunds.clear()
    found = check_all(missing, acks, refunds)
    assert "not stored" in found["b"][0] and found["c"]  # and the ledger now says more was refunded
    unrecorded = copy.deepcopy(snap)
    unrecorded.events = [e for e in unrecorded.events if e["kind"] != "refund_recorded"]
    found = check_all(unrecorded, acks, refunds)
    assert "0 ledger entries" in found["b"][0] and found["c"]


def test_c_more_refunded_than_captured_and_a_capture_the_ledger_lacks_are_found():
    snap, acks, refunds = _clean()
    over = copy.deepcopy(snap)
    over.refunds.append({"id": 2, "session_id": 7, "amount": Decimal("4.50"), "status": "succeeded"})
    over.events.append({"session_id": 7, "kind": "refund_recorded", "key": "x",
                        "payload": {"refund_id": 2, "amount": "4.50", "status": "succeeded"}})
    assert "refunded 5.50 of 5.00" in _only(check_all(over, acks, refunds), "c")[0]
    captured = copy.deepcopy(snap)
    captured.payments[0]["captured"] = Decimal("6.00")
    assert "captured 6.00, ledger 5.00" in _only(check_all(captured, acks, refunds), "c")[0]


def test_d_an_unsettled_or_doubly_paid_session_is_found():
    snap, acks, refunds = _clean()
    unsettled = copy.deepcopy(snap)
    unsettled.settlements.clear()
    assert "not settled" in _only(check_all(unsettled, acks, refunds), "d")[0]
    pending = copy.deepcopy(snap)
    pending.payments[0]["status"] = "pending"
    assert "pending" in check_all(pending, acks, refunds)["d"][0]
    twice = copy.deepcopy(snap)
    twice.payments.append({**twice.payments[0], "id": 4})
    assert "2 payments" in check_all(twice, acks, refunds)["d"][0]


def test_snapshot_reads_the_real_store_and_a_removed_ledger_entry_is_found(engine):
    sid, client, auth = _setup(engine)
    answer = _refund(client, auth, sid, "1.00", "planted")
    assert answer.status_code == 201
    acked = [RefundAck(sid, answer.json()["id"], Decimal("1.00"), "succeeded", "planted")]
    assert check_all(snapshot(engine), [], acked) == {"a": [], "b": [], "c": [], "d": [], "e": []}
    with engine.begin() as conn:
        conn.execute(delete(session_events).where(session_events.c.kind == "refund_recorded"))
    found = check_all(snapshot(engine), [], acked)
    assert found["b"] and found["c"]


def test_e_an_imported_row_that_is_not_stored_is_found():
    snap, acks, refunds = _clean()
    snap.keys.update(["import:trondheim_residential:1", "import:trondheim_residential:2"])
    imported = [("trondheim_residential", ["1", "2"])]
    assert check_all(snap, acks, refunds, imported)["e"] == []
    del snap.keys["import:trondheim_residential:2"]
    assert "row 2" in _only(check_all(snap, acks, refunds, imported), "e")[0]
