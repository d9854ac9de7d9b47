"""Sessions settled by the outbox worker in one batch (one transaction for many) come out exactly as a session
settled alone: the same amounts, one version, one PRICED, one payment with its ledger entry, each by its method;
a replay of the batch adds nothing. And the batch's plan keeps each session's reactions in its events' order."""

from __future__ import annotations

from decimal import Decimal

from chargeledger.domain.events import EventKind
from chargeledger.ledger import Ledger, outbox
from chargeledger.ledger.outbox import Pending, rounds
from chargeledger.payments.store import payments_of
from chargeledger.settlement import subscribers as settling
from chargeledger.settlement.store import settlements_of
from chargeledger.storage.tables import outbox_checkpoints
from chargeledger.tariffs import store as tariffs
from tests.builders import add_network
from tests.settlement.helpers import record_session, tariff_text

AMOUNTS = ("total_energy_kwh", "session_fee", "occupancy_fee", "subtotal", "total_tax", "payment_total",
           "total_cost_incl_vat", "currency")
CARD = {"method": "card", "card_last4": "4242"}
ACCOUNT = {"method": "rfid_account"}


def _kinds(engine, sid: int) -> list[str]:
    return [e.kind.value for e in Ledger(engine).events(sid)]


def test_a_batch_settles_each_session_as_it_would_alone_and_once(engine, monkeypatch):
    batches: list[list[int]] = []
    monkeypatch.setattr(settling.on_settled, "many",
                        lambda engine, ids: batches.append(list(ids)) or settling.on_settled_many(engine, ids))
    add_network(engine)
    stored = tariffs.save_tariff(engine, "ACME", tariff_text())
    tariffs.assign(engine, stored.tariff_id, "station", "CP-1")
    outbox.hand_off(engine)  # writers only commit: the drains below see the sessions' events as one batch
    alone = record_session(engine, "alone", idle_min=30, payment=CARD)
    outbox.drain(engine)
    batch = [record_session(engine, f"b{n}", idle_min=30, payment=CARD if n % 2 else ACCOUNT) for n in range(6)]
    assert outbox.drain(engine) > 0
    assert batches == [batch] and outbox.failures(engine) == []  # the six in one call, none failed

    expected = {k: settlements_of(engine, alone)[0][k] for k in AMOUNTS}
    assert Decimal(expected["payment_total"]) == Decimal("6.53")
    for n, sid in enumerate(batch):
        versions = settlements_of(engine, sid)
        assert [v["version"] for v in versions] == [1]
        assert {k: versions[0][k] for k in AMOUNTS} == expected
        paid = payments_of(engine, sid)
        assert len(paid) == 1 and paid[0]["amount_due"] == "6.53"
        assert paid[0]["status"] == ("captured" if n % 2 else "invoiced")
        assert paid[0]["amount_captured"] == ("6.53" if n % 2 else "0.00")
        kinds = _kinds(engine, sid)
        assert [kinds.count(k) for k in ("tariff_frozen", "priced", "payment_recorded")] == [1, 1, 1]

    with engine.begin() as conn:  # a worker killed before its checkpoint: the whole batch is read again
        conn.execute(outbox_checkpoints.update().values(last_event_id=0, last_txid=0))
    outbox.drain(engine)
    for sid in batch:
        assert len(settlements_of(engine, sid)) == 1 and len(payments_of(engine, sid)) == 1
        assert _kinds(engine, sid).count(EventKind.PRICED.value) == 1


def test_the_plan_keeps_each_sessions_order_and_runs_a_repeated_reaction_once():
    def start(engine, sid): ...
    def push(engine, sid): ...
    def settle(engine, sid): ...
    reactions = {"transaction_started": [start, push], "transaction_stopped": [push], "settled": [settle]}
    events = [Pending(1, 0, 10, "transaction_started"), Pending(2, 0, 20, "settled"),
              Pending(3, 0, 10, "transaction_stopped"), Pending(4, 0, 10, "settled"),
              Pending(5, 0, 30, "settled", reactions=False)]
    plan = rounds(events, lambda kind: reactions.get(kind, []))
    as_ids = [{r.__name__: [e.id for e in todo] for r, todo in step.items()} for step in plan]
    # session 10: start, push (once, for the start and the stop, kept with the later event), settle;
    # session 20: settle at once, beside session 10's start; session 30's history has no reactions
    assert as_ids == [{"start": [1], "settle": [2]}, {"push": [3]}, {"settle": [4]}]
