"""OCPP 1.6J Smart Charging over a real websocket: SetChargingProfile of each purpose with stack levels, the
profile store (replaced by id or by purpose and stack level, cleared, a TxProfile ends with its transaction),
GetCompositeSchedule, and a site's power limit shared by its connected stations."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from ocpp.v16 import call

from chargeledger.directory import registry
from chargeledger.domain.network import Station
from chargeledger.ocpp.site_limit import shares
from tests.builders import add_network, add_user_key, at
from tests.ocpp.helpers import api, gateway_on, iso
from tests.ocpp.lab16 import lab_charger


def _profile(profile_id: int, purpose: str, stack: int, limit_w: float, **extra) -> dict:
    return {"chargingProfileId": profile_id, "stackLevel": stack, "chargingProfilePurpose": purpose,
            "chargingProfileKind": "Relative" if purpose == "TxProfile" else "Absolute", **extra,
            "chargingSchedule": {"chargingRateUnit": "W", "startSchedule": iso(at(0)) if purpose != "TxProfile"
                                 else None, "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit_w}]}}


def _clean(profile: dict) -> dict:
    schedule = {k: v for k, v in profile["chargingSchedule"].items() if v is not None}
    return {**profile, "chargingSchedule": schedule}


async def test_profiles_of_each_purpose_are_set_replaced_and_cleared(engine):
    add_network(engine)
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["stations"])
    async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp, \
            api(engine, gateway, key) as client:
        async def put(connector, profile):
            answer = await client.post("/api/stations/CP-1/charging-profiles",
                                       json={"connector_id": connector, "profile": _clean(profile)})
            assert answer.status_code == 200, answer.text
            return answer.json()["answer"]["status"]

        assert await put(0, _profile(1, "ChargePointMaxProfile", 0, 22000)) == "Accepted"
        assert await put(1, _profile(2, "TxDefaultProfile", 0, 11000)) == "Accepted"
        assert await put(1, _profile(3, "TxDefaultProfile", 1, 7000)) == "Accepted"  # a higher stack level
        assert await put(1, _profile(4, "TxDefaultProfile", 1, 6000)) == "Accepted"  # same level: replaces 3
        started = await cp.call(call.StartTransaction(connector_id=1, id_tag="T", meter_start=0,
                                                      timestamp=iso(at(0))))
        tx = started.transaction_id
        assert await put(1, _profile(5, "TxProfile", 2, 3000, transactionId=tx)) == "Accepted"
        cp.answers["SetChargingProfile"] = "Rejected"
        assert await put(1, _profile(6, "TxDefaultProfile", 3, 1000)) == "Rejected"  # not held
        cp.answers.pop("SetChargingProfile")
        held = (await client.get("/api/stations/CP-1/charging-profiles")).json()["profiles"]
        assert sorted((p["profile_id"], p["purpose"], p["stack_level"]) for p in held) == [
            (1, "ChargePointMaxProfile", 0), (2, "TxDefaultProfile", 0), (4, "TxDefaultProfile", 1),
            (5, "TxProfile", 2)]
        composite = await client.post("/api/stations/CP-1/composite-schedule",
                                      json={"connector_id": 1, "duration": 3600, "unit": "W"})
        assert composite.json()["answer"]["status"] == "Accepted"
        assert cp.requests[-1][1] == {"connector_id": 1, "duration": 3600, "charging_rate_unit": "W"}
        await cp.call(call.StopTransaction(meter_stop=1000, timestamp=iso(at(30)), transaction_id=tx))
        cleared = await client.post("/api/stations/CP-1/charging-profiles/clear",
                                    json={"connector_id": 1, "purpose": "TxDefaultProfile", "stack_level": 0})
        assert cleared.json()["answer"] == {"status": "Accepted"}
        by_id = await client.post("/api/stations/CP-1/charging-profiles/clear", json={"id": 1})
        assert by_id.json()["answer"] == {"status": "Accepted"}
        left = (await client.get("/api/stations/CP-1/charging-profiles")).json()
        bad = await client.post("/api/stations/CP-1/charging-profiles",
                                json={"profile": {"chargingProfileId": 9, "stackLevel": 0}})
        assert bad.status_code == 400  # not a ChargingProfile: refused before it reaches the charger
    assert [p["profile_id"] for p in left["profiles"]] == [4]  # the TxProfile ended with its transaction
    assert left["composite_schedule"]["connector_id"] == 1
    assert left["composite_schedule"]["charging_schedule"]["duration"] == 3600


def test_shares_never_exceed_the_limit():
    assert shares(Decimal("50"), ["B", "A", "C"]) == {"A": Decimal("16.6"), "B": Decimal("16.6"),
                                                       "C": Decimal("16.6")}
    assert shares(Decimal("50"), []) == {}


async def test_a_site_limit_is_shared_by_its_connected_stations(engine):
    add_network(engine)
    registry.add_station(engine, Station("CP-2", "ACME", "ACME-SITE", "second"), unsecured=True)
    registry.add_station(engine, Station("CP-3", "ACME", "ACME-SITE", "third (offline)"), unsecured=True)
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["stations"])
    async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as one, \
            lab_charger(gateway, "CP-2") as two, api(engine, gateway, key) as client:
        answer = await client.put("/api/sites/ACME-SITE/power-limit", json={"power_limit_kw": "44.0"})
        assert answer.status_code == 200, answer.text
        result = answer.json()["stations"]
        assert {s: (r["share_kw"], r["answer"]["status"]) for s, r in result.items()} == {
            "CP-1": ("22.0", "Accepted"), "CP-2": ("22.0", "Accepted")}
        assert one.profiles[0]["connector_id"] == 0
        sent = one.profiles[0]["profile"]
        assert (sent["charging_profile_purpose"], sent["charging_schedule"]["charging_schedule_period"]) == (
            "ChargePointMaxProfile", [{"start_period": 0, "limit": 22000.0}])
        async with lab_charger(gateway, "CP-3") as three:  # a third station boots: the limit is shared again
            await three.call(call.BootNotification(charge_point_model="Lab", charge_point_vendor="X"))
            for _ in range(100):
                if three.profiles and len(one.requests) > 1:
                    break
                await asyncio.sleep(0.05)
            assert three.profiles[0]["profile"]["charging_schedule"]["charging_schedule_period"][0]["limit"] == 14600
            assert one.profiles[0]["profile"]["charging_schedule"]["charging_schedule_period"][0]["limit"] == 14600
        for _ in range(100):  # CP-3 left: the two still here share the limit again
            if one.profiles[0]["profile"]["charging_schedule"]["charging_schedule_period"][0]["limit"] == 22000:
                break
            await asyncio.sleep(0.05)
        assert one.profiles[0]["profile"]["charging_schedule"]["charging_schedule_period"][0]["limit"] == 22000
        held = (await client.get("/api/stations/CP-2/charging-profiles")).json()["profiles"]
    assert [p["purpose"] for p in held] == ["ChargePointMaxProfile"]


async def test_a_remote_start_with_a_charging_profile_keeps_it_for_its_transaction(engine):
    add_network(engine)
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["stations"])
    async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp, \
            api(engine, gateway, key) as client:
        profile = _clean(_profile(11, "TxProfile", 0, 7400))
        started = await client.post("/api/stations/CP-1/commands/RemoteStartTransaction",
                                    json={"connectorId": 1, "idTag": "T", "chargingProfile": profile})
        assert started.json()["answer"] == {"status": "Accepted"}
        assert cp.requests[-1][1]["charging_profile"]["charging_profile_id"] == 11
        tx = (await cp.call(call.StartTransaction(connector_id=1, id_tag="T", meter_start=0,
                                                  timestamp=iso(at(0))))).transaction_id
        during = (await client.get("/api/stations/CP-1/charging-profiles")).json()["profiles"]
        await cp.call(call.StopTransaction(meter_stop=500, timestamp=iso(at(20)), transaction_id=tx))
        after = (await client.get("/api/stations/CP-1/charging-profiles")).json()["profiles"]
    assert [(p["profile_id"], p["purpose"], p["transaction_id"]) for p in during] == [(11, "TxProfile", str(tx))]
    assert after == []
