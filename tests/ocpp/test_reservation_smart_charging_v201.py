"""2.0.1 reservation and smart charging through a real websocket: ReserveNow/CancelReservation kept as
reservations (used by a transaction, expired, removed by the station), charging profiles as the station holds them
(set, replaced, reported, cleared), the composite schedule, EV charging needs and charging limits (OCA TC_H_xx,
TC_K_xx)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ocpp.v201 import call

from tests.builders import add_network, at
from tests.ocpp.helpers import api, charger, eventually, gateway_on, iso, support_key
from tests.ocpp.station201 import Station201


def _soon(minutes: int = 30) -> str:
    return iso(datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=minutes))


async def test_reservations_made_used_cancelled_and_ended_by_the_station(engine):
    add_network(engine, ocpp="2.0.1")
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        async with api(engine, gateway, key) as client:
            made = (await client.post("/api/stations/CP-1/reservations", json={
                "id_tag": "AA-01", "expires_at": _soon(), "connector_id": 1})).json()  # TC_H_01
            assert (made["reservation_id"], made["status"]) == (1, "Accepted"), made
            sent = [r[1] for r in cp.received if r[0] == "ReserveNow"][-1]
            assert (sent["id"], sent["evse_id"], sent["id_token"]["id_token"]) == (1, 1, "AA-01")
            cp.status["ReserveNow"] = "Occupied"  # the EVSE is in use
            refused = (await client.post("/api/stations/CP-1/reservations", json={
                "id_tag": "BB-02", "expires_at": _soon(), "connector_id": 0})).json()
            assert refused["status"] == "Occupied"
            cp.status["ReserveNow"] = "Accepted"
            third = (await client.post("/api/stations/CP-1/reservations", json={
                "id_tag": "CC-03", "expires_at": _soon(), "connector_id": 0})).json()["reservation_id"]
            # the driver arrives: the transaction names the reservation, which is then used
            await cp.call(call.TransactionEvent(
                event_type="Started", timestamp=iso(at(0)), trigger_reason="Authorized", seq_no=0,
                transaction_info={"transactionId": "res-1", "chargingState": "Charging"}, reservation_id=1,
                id_token={"idToken": "AA-01", "type": "ISO14443"}, evse={"id": 1, "connectorId": 1}))
            # the operator cancels one, the station removes another itself (ReservationStatusUpdate)
            cancelled = await client.post(f"/api/stations/CP-1/reservations/{third}/cancel")
            assert cancelled.status_code == 200, cancelled.text
            assert (await client.post("/api/stations/CP-1/reservations/99/cancel")).status_code == 404
            generic = await client.post("/api/stations/CP-1/commands/ReserveNow", json={
                "id": 50, "expiryDateTime": _soon(5), "idToken": {"idToken": "DD-04", "type": "ISO14443"}})
            assert generic.json()["answer"]["status"] == "Accepted"
            await cp.call(call.ReservationStatusUpdate(reservation_id=50, reservation_update_status="Removed"))
            items = {r["reservation_id"]: r for r in (await client.get(
                "/api/stations/CP-1/reservations")).json()["items"]}
            session_id = gateway.recorder.session_by_transaction("CP-1", "res-1")
    assert {k: v["status"] for k, v in items.items()} == {1: "Used", 2: "Occupied", 3: "Cancelled", 50: "Removed"}
    assert items[1]["session_id"] == session_id


def _profile(profile_id: int, purpose: str, stack: int, limit: float, **more) -> dict:
    return {"id": profile_id, "stackLevel": stack, "chargingProfilePurpose": purpose,
            "chargingProfileKind": "Absolute", **more,
            "chargingSchedule": [{"id": profile_id, "chargingRateUnit": "W", "startSchedule": iso(at(0)),
                                  "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}]}


async def test_charging_profiles_as_the_station_holds_them(engine):
    add_network(engine, ocpp="2.0.1")
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        async with api(engine, gateway, key) as client:
            async def send(action, payload):
                answer = await client.post(f"/api/stations/CP-1/commands/{action}", json=payload)
                assert answer.status_code == 200, answer.text
                return answer.json()["answer"]

            async def held():
                return {p["profile_id"]: p for p in (await client.get(
                    "/api/stations/CP-1/charging-profiles")).json()["profiles"]}

            # TC_K_01 (TxDefaultProfile), TC_K_xx (ChargingStationMaxProfile on EVSE 0)
            assert (await send("SetChargingProfile", {"evseId": 1, "chargingProfile": _profile(
                10, "TxDefaultProfile", 0, 11000)}))["status"] == "Accepted"
            await send("SetChargingProfile", {"evseId": 0, "chargingProfile": _profile(
                20, "ChargingStationMaxProfile", 0, 22000)})
            # same purpose and stack level on the same EVSE: the new profile replaces the old one (K01.FR.05)
            await send("SetChargingProfile", {"evseId": 1, "chargingProfile": _profile(
                11, "TxDefaultProfile", 0, 7400)})
            cp.status["SetChargingProfile"] = "Rejected"
            assert (await send("SetChargingProfile", {"evseId": 1, "chargingProfile": _profile(
                12, "TxDefaultProfile", 1, 3700)}))["status"] == "Rejected"
            cp.status["SetChargingProfile"] = "Accepted"
            profiles = await held()
            assert set(profiles) == {11, 20}
            assert profiles[11]["profile"]["charging_schedule"][0]["charging_schedule_period"][0]["limit"] == 7400
            assert (profiles[11]["connector_id"], profiles[20]["connector_id"]) == (1, 0)
            # cleared here (the test station keeps it); its report (GetChargingProfiles) brings it back
            await send("ClearChargingProfile", {"chargingProfileId": 11})
            assert set(await held()) == {20}
            assert (await send("GetChargingProfiles", {"requestId": 5, "chargingProfile": {
                "chargingProfilePurpose": "TxDefaultProfile"}}))["status"] == "Accepted"
            await eventually(lambda: len(cp._later) == 2 and all(t.done() for t in cp._later))
            assert set(await held()) == {11, 20}
            # the composite schedule, kept per EVSE (TC_K_xx)
            composite = await send("GetCompositeSchedule", {"duration": 3600, "evseId": 1,
                                                             "chargingRateUnit": "W"})
            assert composite["schedule"]["charging_schedule_period"][1]["limit"] == 7400.0
            # ClearChargingProfile by id, then by criteria (TC_K_xx)
            await send("ClearChargingProfile", {"chargingProfileId": 20})
            assert set(await held()) == {11}
            await send("ClearChargingProfile", {"chargingProfileCriteria": {"evseId": 1,
                                                                            "chargingProfilePurpose":
                                                                                "TxDefaultProfile"}})
            assert await held() == {}
            # what the station tells us: the EV's needs and a limit set by someone else (TC_K_xx)
            await cp.call(call.NotifyEVChargingNeeds(evse_id=1, charging_needs={
                "requestedEnergyTransfer": "AC_three_phase", "acChargingParameters": {
                    "energyAmount": 30000, "evMinCurrent": 6, "evMaxCurrent": 32, "evMaxVoltage": 400}}))
            await cp.call(call.NotifyChargingLimit(charging_limit={"chargingLimitSource": "EMS",
                                                                   "isGridCritical": True}, evse_id=1))
            state = (await client.get("/api/stations/CP-1/state")).json()["topics"]
            await cp.call(call.ClearedChargingLimit(charging_limit_source="EMS", evse_id=1))
            cleared = (await client.get("/api/stations/CP-1/state")).json()["topics"]["charging_limit"]
    assert state["ev_charging_needs:1"]["value"]["charging_needs"]["ac_charging_parameters"]["energy_amount"] == 30000
    assert state["charging_limit"]["value"]["charging_limit"]["is_grid_critical"] is True
    assert state["composite_schedule"]["value"]["schedule"]["duration"] == 3600
    assert cleared["value"]["cleared"] is True


async def test_the_session_page_shows_its_charge_profile_and_reservation(engine):
    """The Schedule card (the TxProfile that bound the transaction, the composite schedule) and the Reservation
    card (the reservation the transaction used) of the session page."""
    add_network(engine, ocpp="2.0.1")
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        async with api(engine, gateway, key) as client:
            made = (await client.post("/api/stations/CP-1/reservations", json={
                "id_tag": "AA-01", "expires_at": _soon(), "connector_id": 1})).json()
            await cp.call(call.TransactionEvent(
                event_type="Started", timestamp=iso(at(0)), trigger_reason="Authorized", seq_no=0,
                transaction_info={"transactionId": "sched-1", "chargingState": "Charging"},
                reservation_id=made["reservation_id"], id_token={"idToken": "AA-01", "type": "ISO14443"},
                evse={"id": 1, "connectorId": 1}))
            profile = _profile(40, "TxProfile", 1, 7400, transactionId="sched-1")
            answer = await client.post("/api/stations/CP-1/commands/SetChargingProfile",
                                       json={"evseId": 1, "chargingProfile": profile})
            assert answer.json()["answer"]["status"] == "Accepted"
            await client.post("/api/stations/CP-1/commands/GetCompositeSchedule",
                              json={"duration": 3600, "evseId": 1, "chargingRateUnit": "W"})
            session_id = gateway.recorder.session_by_transaction("CP-1", "sched-1")
            page = (await client.get(f"/sessions/{session_id}")).text
    schedule = page[page.index('data-testid="schedule-card"'):]
    assert "TxProfile" in schedule and "7400" in schedule and "Composite schedule" in schedule
    reservation = page[page.index('data-testid="reservation-card"'):]
    assert f"#{made['reservation_id']} for AA-01" in reservation and "Used" in reservation


async def test_a_reserved_evse_refuses_other_tokens(engine):
    """Another token starting on a reserved EVSE is answered Invalid (the session is flagged); the reserved one is
    accepted and uses the reservation."""
    from chargeledger.directory import tokens
    from chargeledger.ledger import Ledger
    add_network(engine, ocpp="2.0.1")
    tokens.add(engine, "ACME", tokens.TokenEntry("AA-01"))
    tokens.add(engine, "ACME", tokens.TokenEntry("ZZ-99"))
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1", cls=Station201) as cp:
        async with api(engine, gateway, key) as client:
            await client.post("/api/stations/CP-1/reservations", json={
                "id_tag": "AA-01", "expires_at": _soon(), "connector_id": 1})

            async def start(txid, uid, minute):
                return await cp.call(call.TransactionEvent(
                    event_type="Started", timestamp=iso(at(minute)), trigger_reason="Authorized", seq_no=0,
                    transaction_info={"transactionId": txid, "chargingState": "Charging"},
                    id_token={"idToken": uid, "type": "ISO14443"}, evse={"id": 1, "connectorId": 1}))
            other = await start("other-1", "ZZ-99", 0)
            owner = await start("owner-1", "aa-01", 5)
            items = (await client.get("/api/stations/CP-1/reservations")).json()["items"]
    assert other.id_token_info["status"] == "Invalid" and owner.id_token_info["status"] == "Accepted"
    assert items[0]["status"] == "Used"
    flagged = Ledger(engine).project(gateway.recorder.session_by_transaction("CP-1", "other-1"))
    assert "token_not_accepted" in {f.code.value for f in flagged.flags}
