"""ISO 15118 smart charging through a real websocket (OCA TC_K_53…59): the EV's charging needs are answered Accepted
and followed by a TxProfile of ours for the transaction, levelled to deliver the energy by departure within the EV's
maximum and the station's share of the site limit, kept as the station holds it; new needs replace it; the EV's own
schedule is Accepted within it and Rejected above it."""

from __future__ import annotations

import asyncio
import functools
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from ocpp.v201 import call

from chargeledger.ocpp import site_limit
from tests.builders import add_network, at
from tests.ocpp.helpers import api, charger, eventually, gateway_on, held_profiles, iso, support_key
from tests.ocpp.station201 import Station201

AC_32A = {"evMinCurrent": 6, "evMaxCurrent": 32, "evMaxVoltage": 400}


def _in(hours: float) -> str:
    return iso(datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=hours))


def _needs(energy_wh: int, departure: str) -> call.NotifyEVChargingNeeds:
    return call.NotifyEVChargingNeeds(evse_id=1, max_schedule_tuples=3, charging_needs={
        "requestedEnergyTransfer": "AC_three_phase", "departureTime": departure,
        "acChargingParameters": {"energyAmount": energy_wh, **AC_32A}})


async def test_charging_needs_get_a_schedule_of_ours_and_the_evs_schedule_is_checked_against_it(engine):
    add_network(engine, ocpp="2.0.1")
    site_limit.set_limit(engine, "ACME-SITE", Decimal("11"))  # CP-1 alone on the site: all 11 kW its share
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        async with api(engine, gateway, key) as client:
            held = functools.partial(held_profiles, client, "CP-1")

            def sent():
                return [r[1] for r in cp.received if r[0] == "SetChargingProfile"]

            # needs before any transaction: nothing to bind a TxProfile to
            early = await cp.call(_needs(30000, _in(5)))
            assert early.status == "Rejected" and not sent()
            await cp.call(call.TransactionEvent(
                event_type="Started", timestamp=iso(at(0)), trigger_reason="Authorized", seq_no=0,
                transaction_info={"transactionId": "ev-1", "chargingState": "EVConnected"},
                id_token={"idToken": "EMAID-1", "type": "eMAID"}, evse={"id": 1, "connectorId": 1}))

            # TC_K_53: 30 kWh in 5 hours, the car may take 22 kW, the site gives 11 kW: 6 kW levelled
            answer = await cp.call(_needs(30000, _in(5)))
            assert answer.status == "Accepted"
            async def ours_kept():
                return bool(sent()) and 900_101 in await held()
            await eventually(ours_kept)
            first = sent()[-1]
            profile = first["charging_profile"]
            assert (first["evse_id"], profile["charging_profile_purpose"], profile["transaction_id"]) == \
                (1, "TxProfile", "ev-1")
            schedule = profile["charging_schedule"][0]
            (period,) = schedule["charging_schedule_period"]
            assert 6000.0 <= period["limit"] <= 6000.4 and 5 * 3600 - 2 <= schedule["duration"] <= 5 * 3600
            assert period["limit"] * schedule["duration"] / 3600 >= 30000
            kept = (await held())[900_101]
            assert kept["transaction_id"] == "ev-1" and kept["purpose"] == "TxProfile"

            # TC_K_58: the EV's schedule under ours is Accepted, above it Rejected; both kept
            start = schedule["start_schedule"]
            within = await cp.call(call.NotifyEVChargingSchedule(time_base=start, evse_id=1, charging_schedule={
                "id": 1, "chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6000}]}))
            over = await cp.call(call.NotifyEVChargingSchedule(time_base=start, evse_id=1, charging_schedule={
                "id": 2, "chargingRateUnit": "A", "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": 8}, {"startPeriod": 600, "limit": 16}]}))  # 11 kW from minute 10
            assert (within.status, over.status) == ("Accepted", "Rejected")
            state = (await client.get("/api/stations/CP-1/state")).json()["topics"]
            assert state["ev_charging_schedule:1"]["value"]["status"] == "Rejected"
            assert state["ev_charging_schedule:1"]["value"]["checked_against"] == 900_101

            # TC_K_57: the EV renegotiates, now 40 kWh in 2 hours: more than 11 kW can give, so all of it, said short
            again = await cp.call(_needs(40000, _in(2)))
            assert again.status == "Accepted"
            async def replaced():
                periods = [p["profile"]["charging_schedule"][0]["charging_schedule_period"]
                           for p in (await held()).values()]
                return len(sent()) == 2 and periods == [[{"start_period": 0, "limit": 11000.0}]]
            await eventually(replaced)
            assert sent()[-1]["charging_profile"]["charging_schedule"][0]["charging_schedule_period"] == \
                [{"start_period": 0, "limit": 11000.0}]
            assert set(await held()) == {900_101}  # the new schedule replaced ours
            state = (await client.get("/api/stations/CP-1/state")).json()["topics"]
    needs = state["ev_charging_needs:1"]["value"]
    assert needs["schedule"]["feasible"] is False and needs["schedule"]["station_cap_w"] == "11000.0"


async def test_a_schedule_the_station_refuses_is_not_kept(engine):
    """TC_K_54-ish: the station rejects our TxProfile; nothing is kept, and the EV's schedule has nothing of ours
    to exceed."""
    add_network(engine, ocpp="2.0.1")
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        async with api(engine, gateway, key) as client:
            cp.status["SetChargingProfile"] = "Rejected"
            await cp.call(call.TransactionEvent(
                event_type="Started", timestamp=iso(at(0)), trigger_reason="Authorized", seq_no=0,
                transaction_info={"transactionId": "ev-2", "chargingState": "EVConnected"},
                id_token={"idToken": "EMAID-2", "type": "eMAID"}, evse={"id": 1, "connectorId": 1}))
            assert (await cp.call(_needs(10000, _in(3)))).status == "Accepted"

            async def refused():
                return any(r[0] == "SetChargingProfile" for r in cp.received)
            await eventually(refused)
            await asyncio.sleep(0.3)  # time for what its answer would have kept
            profiles = (await client.get("/api/stations/CP-1/charging-profiles")).json()["profiles"]
            answer = await cp.call(call.NotifyEVChargingSchedule(time_base=_in(0), evse_id=1, charging_schedule={
                "id": 1, "chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 22000}]}))
    assert profiles == [] and answer.status == "Accepted"
