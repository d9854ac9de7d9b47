"""An eMSP built with another OCPI implementation, extrawest-ocpi (PyPI), against `chargeledger serve` over HTTP.

The library serves the eMSP's side (versions, the Receivers of locations, sessions, cdrs, tariffs and CommandResults)
and validates every body we push with its own 2.2.1 models; the eMSP's client half (register, pull, push a token,
send START_SESSION), which the library lacks, reads and writes with its models too (extrawest/emsp.py). A push it
refuses stays failed or pending in our queue, which the test checks is empty at the end."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import httpx
from ocpp.v16 import call

from chargeledger.ocpi import partners, queue
from chargeledger.tariffs import store as tariffs
from tests.ocpi_live.extrawest.peer import extrawest_emsp
from tests.ocpi_live.network import EVSE_1, published_network
from tests.ocpi_live.serve import chargeledger_serve
from tests.ocpi_live.test_end_to_end import remote_startable, until
from tests.ocpp.helpers import iso
from tests.settlement.helpers import tariff_text


async def test_an_extrawest_emsp_registers_pulls_and_takes_every_push(engine, tmp_path):
    published_network(engine)
    tariffs.save_tariff(engine, "ACME", tariff_text())
    tariffs.assign(engine, "TOU-1", "site", "ACME-SITE")
    with extrawest_emsp(tmp_path) as emsp, chargeledger_serve(engine, tmp_path) as (base, ocpp_url), \
            httpx.Client(base_url=emsp.ready().base, timeout=60) as control:
        # registration with the token A the operator made
        _partner, token_a = partners.invite(engine, "ACME", "extrawest eMSP", "DE", "XWE")
        registered = control.post("/control/register", json={"versions_url": f"{base}/ocpi/versions",
                                                              "token_a": token_a}).json()
        assert registered["status"] == 200, registered
        (partner,) = partners.listing(engine)
        assert partner.status == partners.REGISTERED
        assert partner.endpoint("cdrs") == f"{emsp.base}/ocpi/emsp/2.2.1/cdrs"  # the library's URLs end with /

        # pulls, one object a page along our Link headers, each read with the library's models
        locations = control.get("/control/pull/locations").json()
        assert (locations["pages"], locations["total"]) == (2, 2)
        assert [loc["id"] for loc in locations["objects"]] == ["acme-dc", "acme-site"]  # CiString: it lowercases
        pulled_tariffs = control.get("/control/pull/tariffs").json()
        assert pulled_tariffs["total"] == 1 and pulled_tariffs["objects"][0]["elements"]
        assert control.get("/control/pull/sessions").json()["total"] == 0

        # a token of its drivers, as its Token model writes it
        pushed_token = control.put("/control/token/XWE-1").json()
        assert pushed_token["status"] == 200 and pushed_token["body"]["status_code"] == 1000, pushed_token

        # START_SESSION: the charger starts and ends a transaction; the eMSP gets the CommandResult, the EVSE's
        # status, the session and its CDR, each through the library's Receiver
        async with remote_startable(ocpp_url, "CP-1") as cp:
            await cp.call(call.BootNotification(charge_point_model="Eve", charge_point_vendor="Alfen"))
            started = control.post("/control/start/APP-1", json={"location_id": "ACME-SITE", "evse_uid": EVSE_1,
                                                                  "result_id": "start-1"}).json()
            assert started["status"] == 200 and started["response"]["result"] == "ACCEPTED", started
            id_tag = await asyncio.wait_for(cp.started.get(), 10)
            assert id_tag == "app-1"  # the library wrote the token's uid (a CiString) in lower case
            (result,) = await until(lambda: emsp.received("commands"))
            assert result["id"] == "start-1" and result["data"]["result"] == "ACCEPTED"
            now = datetime.now(timezone.utc).replace(microsecond=0)
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing",
                                                  timestamp=iso(now - timedelta(seconds=150))))
            transaction = await cp.call(call.StartTransaction(connector_id=1, id_tag=id_tag, meter_start=0,
                                                              timestamp=iso(now - timedelta(seconds=120))))
            assert transaction.id_tag_info["status"] == "Accepted"
            await cp.call(call.StopTransaction(meter_stop=1250, timestamp=iso(now - timedelta(seconds=30)),
                                               transaction_id=transaction.transaction_id, reason="Remote"))
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available",
                                                  timestamp=iso(now - timedelta(seconds=20))))
            (cdr,) = [r["data"] for r in await until(lambda: emsp.received("cdrs"))]
        tariffs.save_tariff(engine, "ACME", tariff_text().replace("0.40", "0.45"))  # a tariff PUT
        await until(lambda: emsp.received("tariffs"))
        await until(lambda: not queue.listing(engine, state="pending"))

        assert cdr["total_energy"] == 1.25 and cdr["cdr_token"]["uid"] == "app-1"
        sessions = emsp.received("sessions")
        assert sessions[0]["action"] == "create" and sessions[-1]["data"]["status"] == "COMPLETED"
        evse_status = [e["status"] for r in emsp.received("locations") for e in r["data"]["evses"]
                       if e["uid"] == EVSE_1.lower()]
        assert evse_status[-1] == "AVAILABLE" and "CHARGING" in evse_status  # its copy, patched by our pushes
        # and it pulls the same session and CDR
        assert control.get("/control/pull/cdrs").json()["objects"] == [cdr]
    assert [(r["module"], r["last_error"]) for r in queue.listing(engine, state="failed")] == []
