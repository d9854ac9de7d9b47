"""The statement's tax columns come in the tax lists' own order (state, county, city), whatever the scan order."""

from decimal import Decimal

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.ledger import Ledger, NewEvent, SessionRef
from chargeledger.access.rights import Caller, Right
from chargeledger.reports.catalogue.statement import _merged_order, columns, columns_named, jurisdictions
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
        found = columns(conn, request)
    # a report worker rebuilds the columns from their names alone: same names, same kinds, no query
    again = columns_named([c.name for c in found])
    assert [(c.name, c.kind) for c in again] == [(c.name, c.kind) for c in found]


def test_lists_that_disagree_still_give_one_stable_order():
    # C is unconstrained; A and B contradict each other and fall back to the name.
    assert _merged_order({"A", "B", "C"}, {"A": {"B"}, "B": {"A"}, "C": set()}) == ["C", "A", "B"]
    assert _merged_order({"Zeta", "Alpha"}, {"Zeta": {"Alpha"}}) == ["Zeta", "Alpha"]
