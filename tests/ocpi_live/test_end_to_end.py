"""Against `chargeledger serve` itself: an eMSP registers, sends START_SESSION, a simulated OCPP 1.6 charger (the
`ocpp` library over a real websocket) starts and ends the transaction, and the CDR the eMSP receives carries the
totals the session's page shows. Then the eMSP goes down for a while: everything queued arrives once, in order."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import websockets
from ocpp.routing import on
from ocpp.v16 import call
from ocpp.v16 import call_result as result16
from sqlalchemy import select

from chargeledger.ocpi import queue
from chargeledger.storage.tables import sessions
from chargeledger.tariffs import store as tariffs
from tests.builders import add_user_key
from tests.ocpi_live.network import EVSE_1, published_network, registered_peer
from tests.ocpi_live.peer import running_peer
from tests.ocpi_live.serve import chargeledger_serve
from tests.ocpp.helpers import Charger16, charger, iso
from tests.settlement.helpers import tariff_text
from tests.builders import at


class RemoteStartable(Charger16):
    """Accepts RemoteStartTransaction and remembers the idTag, as a free charger does."""

    started: "asyncio.Queue[str]"

    @on("RemoteStartTransaction")
    async def on_remote_start(self, id_tag, connector_id=None, **kw):
        self.started.put_nowait(id_tag)
        return result16.RemoteStartTransaction(status="Accepted")

    @on("UnlockConnector")
    async def on_unlock(self, connector_id, **kw):
        return result16.UnlockConnector(status="Unlocked")

    @on("ReserveNow")
    async def on_reserve(self, connector_id, expiry_date, id_tag, reservation_id, **kw):
        self.reservations[reservation_id] = id_tag
        return result16.ReserveNow(status="Accepted")

    @on("CancelReservation")
    async def on_cancel(self, reservation_id, **kw):
        known = self.reservations.pop(reservation_id, None)
        return result16.CancelReservation(status="Accepted" if known else "Rejected")


@contextlib.asynccontextmanager
async def remote_startable(url: str, station_id: str):
    ws = await websockets.connect(f"{url}/ocpp/{station_id}", subprotocols=["ocpp1.6"])
    cp = RemoteStartable(station_id, ws, response_timeout=5)
    cp.started = asyncio.Queue()
    cp.reservations = {}
    task = asyncio.create_task(cp.start())
    try:
        yield cp
    finally:
        task.cancel()
        await ws.close()


async def until(check, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)
    return found


async def test_start_session_ends_in_a_cdr_at_the_emsp_with_the_session_pages_totals(engine, tmp_path):
    published_network(engine)
    tariffs.save_tariff(engine, "ACME", tariff_text())
    tariffs.assign(engine, "TOU-1", "site", "ACME-SITE")
    key = add_user_key(engine, "finance@acme.example", ["ACME"], ["finance", "support"])
    with running_peer() as peer, chargeledger_serve(engine, tmp_path) as (base, ocpp_url):
        await asyncio.to_thread(registered_peer, engine, base, peer)
        async with remote_startable(ocpp_url, "CP-1") as cp:
            await cp.call(call.BootNotification(charge_point_model="Eve", charge_point_vendor="Alfen"))
            command = {"response_url": f"{peer.base}/emsp/commands/results/start-1", "token": peer.token("APP-1"),
                       "location_id": "ACME-SITE", "evse_uid": EVSE_1}
            answer = await asyncio.to_thread(peer.send, "POST", "commands", "/START_SESSION", command)
            assert answer.status_code == 200 and answer.json()["data"]["result"] == "ACCEPTED", answer.text
            assert await asyncio.wait_for(cp.started.get(), 10) == "APP-1"
            (result,) = await until(lambda: peer.pushes("commands"))
            assert result.path == "/emsp/commands/results/start-1" and result.body == {"result": "ACCEPTED"}
            # a real charger starts at once after accepting: its clock is now (the start is matched to the ask)
            now = datetime.now(timezone.utc).replace(microsecond=0)
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing",
                                                  timestamp=iso(now - timedelta(seconds=150))))
            started = await cp.call(call.StartTransaction(connector_id=1, id_tag="APP-1", meter_start=0,
                                                          timestamp=iso(now - timedelta(seconds=120))))
            assert started.id_tag_info["status"] == "Accepted"
            # pushed on start (the worker reads the session as it is then: a push that lags behind the charger
            # carries the newer state instead)
            (active,) = await until(lambda: peer.pushes("sessions"))
            assert active.body["status"] == "ACTIVE" and active.body["cdr_token"]["uid"] == "APP-1"
            await cp.call(call.MeterValues(connector_id=1, transaction_id=started.transaction_id, meter_value=[
                {"timestamp": iso(now - timedelta(seconds=60)), "sampledValue": [
                    {"value": "0.500", "unit": "kWh", "measurand": "Energy.Active.Import.Register"}]}]))
            await cp.call(call.StopTransaction(meter_stop=1250, timestamp=iso(now - timedelta(seconds=30)),
                                               transaction_id=started.transaction_id, reason="Remote"))
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available",
                                                  timestamp=iso(now - timedelta(seconds=20))))
            (cdr,) = [p.body for p in await until(lambda: peer.pushes("cdrs"))]
        with engine.connect() as conn:
            session_id = conn.execute(select(sessions.c.id)).scalar_one()
        with httpx.Client(base_url=base, timeout=30) as http:
            page = http.get(f"/api/sessions/{session_id}", headers={"Authorization": f"Bearer {key}"}).json()
    shown = page["money"]["settlement"]
    four = Decimal("0.0001")
    assert Decimal(str(cdr["total_cost"]["excl_vat"])) == Decimal(shown["total_cost_excl_vat"]).quantize(four)
    assert Decimal(str(cdr["total_cost"]["incl_vat"])) == Decimal(shown["total_cost_incl_vat"]).quantize(four)
    assert Decimal(str(cdr["total_energy"])) == Decimal(shown["total_energy_kwh"]).quantize(four) == Decimal("1.25")
    assert cdr["session_id"] == str(session_id) and cdr["auth_method"] == "COMMAND"
    assert cdr["cdr_token"]["uid"] == "APP-1" and cdr["cdr_location"]["evse_uid"] == EVSE_1
    # the session: a PUT on start, then PATCHes of what changed; the eMSP's copy ends with the CDR's totals
    session_pushes = peer.pushes("sessions")
    assert session_pushes[0].method == "PUT" and session_pushes[0].body["status"] == "ACTIVE"
    assert {p.method for p in session_pushes[1:]} == {"PATCH"}
    (copy,) = peer.objects.values()
    assert copy["status"] == "COMPLETED" and copy["total_cost"] == cdr["total_cost"]


async def test_a_partner_down_for_a_while_gets_everything_once_in_order(engine, tmp_path):
    published_network(engine)
    statuses = ["Charging", "SuspendedEV", "Charging", "Finishing", "Available", "Faulted", "Available"]
    ocpi = {"Charging": "CHARGING", "SuspendedEV": "CHARGING", "Finishing": "CHARGING", "Available": "AVAILABLE",
            "Faulted": "OUTOFORDER"}
    expected, last = [], None  # one PATCH per change of the OCPI status
    for minute, status in enumerate(statuses):
        if ocpi[status] != last:
            expected.append((ocpi[status], iso(at(minute))))
        last = ocpi[status]
    with running_peer() as peer, chargeledger_serve(engine, tmp_path) as (base, ocpp_url):
        await asyncio.to_thread(registered_peer, engine, base, peer)
        peer.down = True
        async with charger(ocpp_url, "CP-1") as cp:
            for minute, status in enumerate(statuses):
                await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status=status,
                                                      timestamp=iso(at(minute))))
        tariffs.save_tariff(engine, "ACME", tariff_text())
        await until(lambda: sum(r["attempts"] >= 2 for r in queue.listing(engine, state="pending")) == 2, 20)
        assert not peer.pushes()
        waiting = queue.counts(engine)[1]  # what the operator sees: pending, retried, the partner's answer
        # the head of each lane (the location's, the tariff's) is retried; the rest of a lane waits behind its head
        assert waiting.pending == len(expected) + 1 and waiting.retrying == 2 and "HTTP 503" in waiting.last_error
        peer.down = False
        await until(lambda: len(peer.pushes()) == len(expected) + 1, 40)
        await asyncio.sleep(1.5)  # nothing more arrives: each push once
    pushed = peer.pushes()  # the location's pushes in order; the tariff (its own lane) once, anywhere among them
    assert [(p.body["status"], p.body["last_updated"]) for p in peer.pushes("locations")] == expected
    assert [p.path for p in peer.pushes("tariffs")] == ["/emsp/tariffs/NL/ACM/TOU-1"]
    assert len(pushed) == len(expected) + 1
    assert queue.counts(engine)[1].sent == len(expected) + 1 and queue.counts(engine)[1].pending == 0


async def test_pushes_queued_when_the_server_is_killed_arrive_after_its_restart(engine, tmp_path):
    published_network(engine)
    children: list = []
    with running_peer() as peer:
        with chargeledger_serve(engine, tmp_path, children=children) as (base, ocpp_url):
            await asyncio.to_thread(registered_peer, engine, base, peer)
            peer.down = True
            async with charger(ocpp_url, "CP-1") as cp:
                for minute, status in enumerate(["Charging", "Available", "Faulted"]):
                    await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status=status,
                                                          timestamp=iso(at(minute))))
            await until(lambda: any(r["attempts"] >= 1 for r in queue.listing(engine, state="pending")), 20)
            children[0].send_signal(signal.SIGKILL)
            children[0].wait(10)
        peer.down = False
        assert not peer.pushes()
        with chargeledger_serve(engine, tmp_path):
            await until(lambda: len(peer.pushes()) == 3, 40)
            await asyncio.sleep(1.5)
    assert [p.body["status"] for p in peer.pushes()] == ["CHARGING", "AVAILABLE", "OUTOFORDER"]


async def test_each_command_reaches_the_charger_and_its_result_the_emsp(engine, tmp_path):
    published_network(engine)
    with running_peer() as peer, chargeledger_serve(engine, tmp_path) as (base, ocpp_url):
        await asyncio.to_thread(registered_peer, engine, base, peer)
        async with remote_startable(ocpp_url, "CP-1") as cp:
            await cp.call(call.BootNotification(charge_point_model="Eve", charge_point_vendor="Alfen"))

            async def command(name: str, body: dict, result_id: str):
                body = {"response_url": f"{peer.base}/emsp/commands/results/{result_id}", **body}
                answer = await asyncio.to_thread(peer.send, "POST", "commands", f"/{name}", body)
                assert answer.status_code == 200, answer.text
                return answer.json()["data"]

            async def result(result_id: str) -> dict:
                found = await until(lambda: [p for p in peer.pushes("commands") if p.path.endswith(f"/{result_id}")])
                return found[0].body

            where = {"location_id": "ACME-SITE", "evse_uid": EVSE_1}
            assert (await command("UNLOCK_CONNECTOR", {**where, "connector_id": "1"}, "u1"))["result"] == "ACCEPTED"
            assert await result("u1") == {"result": "ACCEPTED"}
            expiry = (datetime.now(timezone.utc) + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ")
            reserve = {**where, "token": peer.token("RES-1"), "expiry_date": expiry, "reservation_id": "R-77"}
            assert (await command("RESERVE_NOW", reserve, "r1"))["result"] == "ACCEPTED"
            assert await result("r1") == {"result": "ACCEPTED"}
            assert list(cp.reservations.values()) == ["RES-1"]
            # cancelled where it is: CP-2 (not connected) and CP-1, which holds it
            assert (await command("CANCEL_RESERVATION", {"reservation_id": "R-77"}, "c1"))["result"] == "ACCEPTED"
            assert await result("c1") == {"result": "ACCEPTED"} and cp.reservations == {}
            assert (await command("CANCEL_RESERVATION", {"reservation_id": "R-77"}, "c2"))["result"] == "ACCEPTED"
            assert (await result("c2"))["result"] == "REJECTED"  # nobody holds it any more
            unknown = await command("STOP_SESSION", {"session_id": "999"}, "s1")
            assert unknown["result"] == "UNKNOWN_SESSION"
            elsewhere = await asyncio.to_thread(peer.send, "POST", "commands", "/START_SESSION", {
                "response_url": f"{peer.base}/emsp/commands/results/x", "token": peer.token("X"),
                "location_id": "NOPE"})
            assert elsewhere.status_code == 404 and elsewhere.json()["status_code"] == 2003
            fly = await asyncio.to_thread(peer.send, "POST", "commands", "/FLY", {})
            assert fly.status_code == 404 and fly.json()["status_code"] == 2001
