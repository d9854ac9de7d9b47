"""OCPP 1.6J Reservation over a real websocket: ReserveNow and CancelReservation from the API, the reservation
store, a StartTransaction naming the reservation ends it, the reserved connector refuses other tokens, expiry."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ocpp.v16 import call

from chargeledger.directory import tokens as book
from chargeledger.ocpp import reservations
from tests.builders import add_network, add_user_key
from tests.ocpp.helpers import api, gateway_on, iso, settled
from tests.ocpp.lab16 import lab_charger


def _later(minutes: float) -> str:
    return iso(datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=minutes))


async def test_a_reserved_connector_is_kept_for_its_token_until_used(engine):
    add_network(engine)
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["stations", "support"])
    for uid in ("RES-TAG", "OTHER-TAG"):
        book.add(engine, "ACME", book.TokenEntry(uid))
    now = datetime.now(timezone.utc)
    async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp, \
            api(engine, gateway, key) as client:
        made = await client.post("/api/stations/CP-1/reservations",
                                 json={"connector_id": 1, "id_tag": "RES-TAG", "expires_at": _later(30)})
        assert made.status_code == 201, made.text
        reservation = made.json()
        assert (reservation["reservation_id"], reservation["status"]) == (1, "Accepted")
        assert cp.reservations[1]["id_tag"] == "RES-TAG"
        # someone else starts on the reserved connector (the charger let it through): told Invalid, flagged
        intruder = await cp.call(call.StartTransaction(connector_id=1, id_tag="OTHER-TAG", meter_start=0,
                                                       timestamp=iso(now)))
        assert intruder.id_tag_info["status"] == "Invalid"
        # the reserved token, in another case, naming the reservation: accepted, and the reservation is used
        started = await cp.call(call.StartTransaction(connector_id=1, id_tag="res-tag", meter_start=0,
                                                      timestamp=iso(now + timedelta(seconds=5)), reservation_id=1))
        assert started.id_tag_info["status"] == "Accepted"
        await settled(gateway)
        listed = (await client.get("/api/stations/CP-1/reservations")).json()["items"]
        flagged = (await client.get(f"/api/sessions/{intruder.transaction_id}")).json()
    assert [(r["reservation_id"], r["status"], r["session_id"]) for r in listed] == [
        (1, "Used", started.transaction_id)]
    assert "token_not_accepted" in [f["code"] for f in flagged["flags"]]


async def test_cancel_refusals_and_expiry(engine):
    add_network(engine)
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["stations"])
    async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp, \
            api(engine, gateway, key) as client:
        first = (await client.post("/api/stations/CP-1/reservations",
                                   json={"connector_id": 0, "id_tag": "A", "expires_at": _later(30)})).json()
        cancelled = await client.post(f"/api/stations/CP-1/reservations/{first['reservation_id']}/cancel")
        assert cancelled.json()["answer"] == {"status": "Accepted"}
        assert cancelled.json()["reservation"]["status"] == "Cancelled" and cp.reservations == {}
        assert (await client.post("/api/stations/CP-1/reservations/99/cancel")).status_code == 404
        cp.answers["ReserveNow"] = "Occupied"
        busy = (await client.post("/api/stations/CP-1/reservations",
                                  json={"connector_id": 1, "id_tag": "B", "expires_at": _later(30)})).json()
        assert (busy["reservation_id"], busy["status"]) == (2, "Occupied")
        past = await client.post("/api/stations/CP-1/reservations",
                                 json={"connector_id": 1, "id_tag": "B", "expires_at": _later(-1)})
        assert past.status_code == 422
        cp.answers.pop("ReserveNow")
        short = (await client.post("/api/stations/CP-1/reservations",
                                   json={"connector_id": 1, "id_tag": "C", "expires_at": _later(1)})).json()
        assert short["status"] == "Accepted"
        generic = await client.post("/api/stations/CP-1/commands/ReserveNow", json={
            "connectorId": 2, "expiryDate": _later(60), "idTag": "D", "reservationId": 40})
        assert generic.json()["answer"] == {"status": "Accepted"}
    later = datetime.now(timezone.utc) + timedelta(minutes=2)
    assert reservations.refuses(engine, "CP-1", 1, "Z", None, None, datetime.now(timezone.utc))
    assert reservations.expire(engine, later) == 1
    assert not reservations.refuses(engine, "CP-1", 1, "Z", None, None, later)
    statuses = {r["reservation_id"]: r["status"] for r in reservations.of_station(engine, "CP-1", later)}
    assert statuses == {1: "Cancelled", 2: "Occupied", 3: "Expired", 40: "Accepted"}
