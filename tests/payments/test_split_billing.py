"""Split billing reaches the payment: the driver is charged only the driver's share, the team's share is owed by
the team (issue 14: every split session charged the driver the whole total)."""

from __future__ import annotations

from decimal import Decimal

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.ledger.store import Ledger, NewEvent, SessionRef
from chargeledger.payments.store import payments_of
from chargeledger.settlement.store import current_settlement
from chargeledger.storage.tables import drivers, teams
from chargeledger.tariffs import store as tariffs
from tests.builders import add_network, at
from tests.settlement.helpers import record_session, tariff_text


def _team_session(engine, cap: str, card: str = "4242") -> int:
    add_network(engine)
    stored = tariffs.save_tariff(engine, "ACME", tariff_text())
    tariffs.assign(engine, stored.tariff_id, "site", "ACME-SITE")
    with engine.begin() as conn:
        conn.execute(teams.insert().values(id="T1", organisation_id="ACME", name="Fleet", kwh_price_cap=Decimal(cap)))
        conn.execute(drivers.insert().values(id="D1", organisation_id="ACME", name="Ann", team_id="T1"))
    sid = record_session(engine, "team-1", settle=False)
    ref = SessionRef("team-1", "ACME", "ACME-SITE", "CP-1", "NL*ACM*ECP1*1", 1)
    Ledger(engine).record(ref, [
        NewEvent(EventKind.AUTHORIZED, at(0), EventSource.OCPP, {"id_token": "TOKEN1", "driver_id": "D1"},
                 "team-1:auth"),
        NewEvent(EventKind.SETTLED, at(90), EventSource.SYSTEM, {"payment": {"method": "card", "card_last4": card}},
                 "team-1:settled")])
    return sid


def test_the_driver_pays_only_the_drivers_share_and_the_team_owes_its_own(engine):
    sid = _team_session(engine, "0.10")
    settlement = current_settlement(engine, sid)
    split = settlement["split_billing"]
    team, driver = Decimal(split["team_share"]), Decimal(split["driver_contribution"])
    assert team > 0 and driver > 0 and team + driver == Decimal(settlement["payment_total"])
    [payment] = payments_of(engine, sid)
    assert Decimal(payment["amount_captured"]) == driver  # the card was charged the driver's share only
    assert Decimal(payment["attempts"][0]["amount"]) == driver
    assert Decimal(payment["unsettled_amount"]) == team  # owed by the team, invoiced
    assert Decimal(payment["amount_due"]) == team + driver


def test_a_team_covering_everything_leaves_the_card_alone(engine):
    sid = _team_session(engine, "100")
    [payment] = payments_of(engine, sid)
    total = Decimal(current_settlement(engine, sid)["payment_total"])
    assert payment["attempts"] == [] and Decimal(payment["amount_captured"]) == 0
    assert payment["status"] == "invoiced" and Decimal(payment["unsettled_amount"]) == total


def test_a_repriced_team_session_moves_only_the_drivers_difference_on_the_card(engine):
    from fastapi.testclient import TestClient
    from sqlalchemy import update

    from chargeledger.http.app import create_app
    from tests.payments.test_adjustments import _new_tariff_version, _reprice
    sid = _team_session(engine, "0.10")  # the team pays 0.10 a kWh, the driver's card the rest
    first = current_settlement(engine, sid)["split_billing"]
    with engine.begin() as conn:  # the team now covers up to 0.75 of the old rate; the price is halved
        conn.execute(update(teams).values(kwh_price_cap=Decimal(first["effective_rate"]) * Decimal("0.75")))
    _new_tariff_version(engine, "0.5")
    _reprice(TestClient(create_app(engine)), engine, sid)
    after = current_settlement(engine, sid)
    split = after["split_billing"]
    assert Decimal(split["driver_contribution"]) == 0  # the team covers it all now
    [payment] = payments_of(engine, sid)
    refunded = Decimal(payment["refunded"])
    assert refunded == Decimal(first["driver_contribution"])  # the driver gets back what the card paid
    assert Decimal(payment["amount_captured"]) - refunded == Decimal(split["driver_contribution"])
    assert Decimal(payment["unsettled_amount"]) == Decimal(split["team_share"]) == Decimal(after["payment_total"])
