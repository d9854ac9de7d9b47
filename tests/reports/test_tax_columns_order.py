"""The statement's tax columns come in the tax lists' own order (state, county, city), whatever the scan order."""

from decimal import Decimal

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.ledger import Ledger, NewEvent, SessionRef
from chargeledger.access.rights import Caller, Right
from chargeledger.reports.catalogue.statement import _merged_order, columns, jurisdictions
from chargeledger.reports.request import build_request
from chargeledger.storage.tables import session_settlements
from tests.builders import add_network, at


def _settle(engine, session_id, taxes):
    with engine.begin() as conn:
        conn.execute(session_settlements.insert().values(
            session_id=session_id, version=1, current=True, settled_at=at(60), currency="USD",
            payment_total=Decimal("10.00"), taxes=taxes))


def test_columns_follow_list_position_not_first_seen(engine):
    add_network(engine, "ACME", "CP-1", country="US", currency="USD", time_zone="America/Los_Angeles")
    ledger = Ledger(engine)
    lists = [
        [{"jurisdiction": "City of San José", "rate": "0.01", "amount": "0.10"}],  # a city-only list, seen first
        [{"jurisdiction": "California", "rate": "0.06", "amount": "0.60"},
         {"jurisdiction": "Santa Clara County", "rate": "0.02", "amount": "0.20"},
         {"jurisdiction": "City of San José", "rate": "0.01", "amount": "0.10"}],
    ]
    for n, taxes in enumerate(lists):
        session_id, _ = ledger.record(SessionRef(f"CP-1:{n}", "ACME", "ACME-SITE", "CP-1"), [
            NewEvent(EventKind.TRANSACTION_STARTED, at(10 * n), EventSource.OCPP, {"meter_start_wh": 0}),
            NewEvent(EventKind.TRANSACTION_STOPPED, at(10 * n + 5), EventSource.OCPP, {"meter_stop_wh": 1000})])
        _settle(engine, session_id, taxes)
    caller = Caller(0, "cli", frozenset(Right), frozenset({"ACME"}))
    request = build_request(engine, "statement", at(-60).isoformat(), at(600).isoformat(), caller, ["ACME"],
                            None, "UTC")
    with engine.connect() as conn:
        assert jurisdictions(conn, request) == ["California", "Santa Clara County", "City of San José"]
        found = [c.name for c in columns(conn, request) if c.name.startswith("Tax – ")]
    assert found == ["Tax – California", "Tax – Santa Clara County", "Tax – City of San José"]


def test_lists_that_disagree_still_give_one_stable_order():
    # C is unconstrained; A and B contradict each other and fall back to the name.
    assert _merged_order({"A", "B", "C"}, {"A": {"B"}, "B": {"A"}, "C": set()}) == ["C", "A", "B"]
    assert _merged_order({"Zeta", "Alpha"}, {"Zeta": {"Alpha"}}) == ["Zeta", "Alpha"]


def test_each_named_jurisdiction_has_its_own_column_in_the_file(engine, tmp_path):
    import csv

    from chargeledger.reports.run import write_report
    add_network(engine, "ACME", "CP-1", country="US", currency="USD", time_zone="America/Los_Angeles")
    ledger = Ledger(engine)
    lists = [  # as settlement/compute.py writes them: the level, and the name of the place
        [{"jurisdiction": "State", "name": "California", "rate": "6.00", "amount": "0.60"},
         {"jurisdiction": "City", "name": "San José", "rate": "1.00", "amount": "0.10"}],
        [{"jurisdiction": "State", "name": "Massachusetts", "rate": "6.25", "amount": "0.63"},
         {"jurisdiction": "City", "name": "Boston", "rate": "0.75", "amount": "0.08"}],
    ]
    for n, taxes in enumerate(lists):
        session_id, _ = ledger.record(SessionRef(f"CP-1:{n}", "ACME", "ACME-SITE", "CP-1"), [
            NewEvent(EventKind.TRANSACTION_STARTED, at(10 * n), EventSource.OCPP, {"meter_start_wh": 0}),
            NewEvent(EventKind.TRANSACTION_STOPPED, at(10 * n + 5), EventSource.OCPP, {"meter_stop_wh": 1000})])
        _settle(engine, session_id, taxes)
    caller = Caller(0, "cli", frozenset(Right), frozenset({"ACME"}))
    request = build_request(engine, "statement", at(-60).isoformat(), at(600).isoformat(), caller, ["ACME"],
                            None, "UTC")
    write_report(engine, request, "csv", tmp_path / "s.csv")
    with open(tmp_path / "s.csv", encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    taxes = [name for name in table[0] if name.startswith("Tax – ")]
    assert sorted(taxes) == ["Tax – Boston", "Tax – California", "Tax – Massachusetts", "Tax – San José"]
    rows = [dict(zip(table[0], line)) for line in table[1:]]
    assert (rows[0]["Tax – California"], rows[0]["Tax – Massachusetts"]) == ("0.60", "")
    assert (rows[1]["Tax – California"], rows[1]["Tax – Massachusetts"]) == ("", "0.63")
