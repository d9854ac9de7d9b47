"""A real gateway on a free loopback port, and ocpp-library charge points that talk to it over real websockets."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import inspect
from datetime import timedelta

import httpx
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call_result as result201

from chargeledger.http.app import create_app
from chargeledger.ocpp.gateway import Gateway
from chargeledger.ocpp.settings import GatewaySettings
from tests.builders import add_user_key


def iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


class Charger16(Cp16):
    """Answers remote commands as the test says: 'Accepted', 'Rejected', or None to stay silent."""

    answer: str | None = "Accepted"

    @on("RemoteStopTransaction")
    async def on_remote_stop(self, transaction_id, **kw):
        if self.answer is None:
            await asyncio.sleep(3600)
        return result16.RemoteStopTransaction(status=self.answer)

    @on("Reset")
    def on_reset(self, type, **kw):
        return result16.Reset(status="Accepted")


class Charger201(Cp201):
    answer: str | None = "Accepted"

    @on("RequestStopTransaction")
    async def on_request_stop(self, transaction_id, **kw):
        if self.answer is None:
            await asyncio.sleep(3600)
        return result201.RequestStopTransaction(status=self.answer)

    @on("GetVariables")
    def on_get_variables(self, get_variable_data, **kw):
        return result201.GetVariables(get_variable_result=[
            {"attribute_status": "Accepted", "component": d["component"], "variable": d["variable"],
             "attribute_value": "42"} for d in get_variable_data])


@contextlib.asynccontextmanager
async def gateway_on(engine, **settings):
    defaults = {"command_timeout": 1.0, "log_flush_every": 0.05, "sweep_interval": 3600}
    gateway = Gateway(engine, GatewaySettings(**{**defaults, **settings}))
    await gateway.start("127.0.0.1", 0)
    try:
        yield gateway
    finally:
        await gateway.stop()


@contextlib.asynccontextmanager
async def charger(gateway_or_url, station_id: str, version: str = "1.6", password: str | None = None, ssl=None,
                  cls=None):
    url = gateway_or_url if isinstance(gateway_or_url, str) else f"ws://127.0.0.1:{gateway_or_url.port}"
    headers = {}
    if password is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{station_id}:{password}".encode()).decode()
    ws = await websockets.connect(f"{url}/ocpp/{station_id}", subprotocols=[f"ocpp{version}"],
                                  additional_headers=headers, ssl=ssl)
    cp = (cls or (Charger16 if version == "1.6" else Charger201))(station_id, ws, response_timeout=5)
    task = asyncio.create_task(cp.start())
    try:
        yield cp
    finally:
        task.cancel()
        await ws.close()


async def raw_exchange(ws, frame: str) -> list:
    import json
    await ws.send(frame)
    return json.loads(await asyncio.wait_for(ws.recv(), 5))


def api(engine, gateway, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(engine, gateway)),
                             base_url="http://test", headers={"Authorization": f"Bearer {key}"})


def support_key(engine, org: str = "ACME") -> str:
    return add_user_key(engine, f"support@{org.lower()}.example", [org], ["support", "stations"])


async def settled(gateway) -> None:
    """Let the batched message log reach the database."""
    await gateway.log.flush()


STEP = timedelta(minutes=1)


async def eventually(check, seconds: float = 3.0) -> None:
    """Waits until check() (plain or async) is true; the last try asserts, so a failure shows what was checked."""
    async def holds():
        found = check()
        return await found if inspect.isawaitable(found) else found
    for _ in range(int(seconds / 0.05)):
        if await holds():
            return
        await asyncio.sleep(0.05)
    assert await holds()


async def held_profiles(client: httpx.AsyncClient, station_id: str) -> dict:
    """The charging profiles the station holds, as the API shows them, by profile id."""
    answer = await client.get(f"/api/stations/{station_id}/charging-profiles")
    return {p["profile_id"]: p for p in answer.json()["profiles"]}
