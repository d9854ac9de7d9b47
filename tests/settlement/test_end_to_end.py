"""A real ledger session settled end to end: tariff assigned -> frozen at start -> SETTLED -> settlement row ->
API detail with money and breakdown."""

from __future__ import annotations

import copy
from decimal import Decimal

from fastapi.testclient import TestClient

from chargeledger.http.app import create_app
from chargeledger.settlement.store import current_settlement, settlements_of
from chargeledger.tariffs import store as tariffs
from tests.builders import add_network, add_user_key
from tests.settlement.helpers import TOU_TARIFF, record_session, tariff_text


def test_session_is_settled_with_the_tariff_frozen_at_its_start(engine):
    add_network(engine)
    stored = tariffs.save_tariff(engine, "ACME", tariff_text())
    tariffs.assign(engine, stored.tariff_id, "station", "CP-1")
    # T0 is 08:00 UTC = 09:00 Amsterdam: the all-day 0.40 element applies; 11 kWh, 30 min parked after charging
    sid = record_session(engine, idle_min=30)
    edited = copy.deepcopy(TOU_TARIFF)
    edited["elements"][1]["price_components"][0]["price"] = "9.99"
    assert tariffs.save_tariff(engine, "ACME", tariff_text(edited)).version == 2  # edited after the start

    row = current_settlement(engine, sid)
    assert row["version"] == 1 and row["current"] is True and row["tariff_version"] == 1
    assert Decimal(row["total_energy_kwh"]) == Decimal("11")
    assert Decimal(row["session_fee"]) == Decimal("4.40")       # 11 kWh x 0.40
    assert Decimal(row["occupancy_fee"]) == Decimal("1.00")     # 0.5 h x 2.00
    assert Decimal(row["subtotal"]) == Decimal("5.40")
    assert Decimal(row["total_tax"]) == Decimal("1.13")         # 21 % of 5.40 = 1.134 -> 1.13
    assert Decimal(row["payment_total"]) == Decimal("6.53")
    assert Decimal(row["total_cost_incl_vat"]) == Decimal("6.534")  # OCPI total kept unrounded

    key = add_user_key(engine, "fin@acme.example", ["ACME"], ["finance", "support"])
    client = TestClient(create_app(engine))
    auth = {"Authorization": f"Bearer {key}"}
    detail = client.get(f"/api/sessions/{sid}", headers=auth).json()
    money = detail["money"]
    assert Decimal(money["settlement"]["payment_total"]) == Decimal("6.53")
    assert money["payments"][0]["status"] == "captured" and money["payments"][0]["card_last4"] == "4242"
    assert Decimal(money["refundable"]) == Decimal("6.53")
    assert "revenue" in money["settlement"]
    kinds = [e["kind"] for e in detail["events"]]
    assert kinds.count("tariff_frozen") == 1 and kinds.count("priced") == 1 and "payment_recorded" in kinds

    excl = client.get(f"/api/sessions/{sid}/breakdown?vat=excl", headers=auth).json()
    assert [s["title"] for s in excl["sections"]] == ["All times"]
    assert excl["totals"][-1] == {"label": "Total", "amount": "6.53"}
    incl = client.get(f"/api/sessions/{sid}/breakdown?vat=incl", headers=auth).json()
    assert incl["totals"][0]["amount"] == "6.53"
    assert incl["sections"][0]["lines"][0]["shown"] == "5.32"  # 4.40 + 0.924 VAT, rounded half-up

    # settling again (a resent SETTLED) keeps version 1
    record_session(engine, idle_min=30)
    assert len(settlements_of(engine, sid)) == 1


def test_reprice_after_a_tariff_correction_keeps_the_earlier_version(engine):
    add_network(engine)
    stored = tariffs.save_tariff(engine, "ACME", tariff_text())
    tariffs.assign(engine, stored.tariff_id, "organisation", "ACME")
    sid = record_session(engine)
    corrected = copy.deepcopy(TOU_TARIFF)
    corrected["elements"][1]["price_components"][0]["price"] = "0.30"
    tariffs.save_tariff(engine, "ACME", tariff_text(corrected))
    finance = add_user_key(engine, "fin@acme.example", ["ACME"], ["finance"])
    support = add_user_key(engine, "sup@acme.example", ["ACME"], ["support"])
    client = TestClient(create_app(engine))
    assert client.post(f"/api/sessions/{sid}/reprice", json={"reason": "tariff typo"},
                       headers={"Authorization": f"Bearer {support}"}).status_code == 403
    answer = client.post(f"/api/sessions/{sid}/reprice", json={"reason": "tariff typo"},
                         headers={"Authorization": f"Bearer {finance}"})
    assert answer.status_code == 200, answer.text
    money = answer.json()
    assert money["settlement"]["version"] == 2 and money["settlement"]["tariff_version"] == 2
    assert "tariff typo" in money["settlement"]["reason"]
    earlier = money["earlier_versions"]
    assert [v["version"] for v in earlier] == [1] and earlier[0]["current"] is False
    assert Decimal(earlier[0]["difference_to_current"]["subtotal"]) == Decimal("-1.10")  # 11 kWh x -0.10
    # support sees money without the operator's cost and revenue
    detail = client.get(f"/api/sessions/{sid}", headers={"Authorization": f"Bearer {support}"}).json()
    assert "revenue" not in detail["money"]["settlement"] and "margin" not in detail["money"]["settlement"]
