"""The one-process product runs the gateway on a loop of its own: a busy API loop does not delay the chargers."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time

from websockets.sync.client import connect

from chargeledger.ocpp.gateway import Gateway
from chargeledger.ocpp.own_loop import GatewayThread
from chargeledger.ocpp.settings import GatewaySettings
from tests.builders import add_network
from tests.ocpp.helpers import charger

PASSWORD = "own-loop-station-pass"


def _heartbeat_round_trip(port: int, connected: threading.Event, go: threading.Event, result: dict) -> None:
    basic = base64.b64encode(f"CP-1:{PASSWORD}".encode()).decode()
    with connect(f"ws://127.0.0.1:{port}/ocpp/CP-1", subprotocols=["ocpp1.6"],
                 additional_headers={"Authorization": f"Basic {basic}"}) as ws:
        connected.set()
        go.wait(5)
        time.sleep(0.1)  # the caller's loop is blocked by now
        sent = time.monotonic()
        ws.send(json.dumps([2, "hb-1", "Heartbeat", {}]))
        result["frame"] = json.loads(ws.recv(timeout=5))
        result["seconds"] = time.monotonic() - sent


async def test_heartbeats_are_answered_while_the_api_loop_is_busy(engine):
    add_network(engine, password=PASSWORD)
    gateway = GatewayThread(Gateway(engine, GatewaySettings(log_flush_every=0.05, sweep_interval=3600)))
    await gateway.start("127.0.0.1", 0)
    try:
        connected, go, result = threading.Event(), threading.Event(), {}
        station = threading.Thread(target=_heartbeat_round_trip, args=(gateway.port, connected, go, result))
        station.start()
        while not connected.is_set():
            await asyncio.sleep(0.01)
        go.set()
        time.sleep(1.0)  # what a burst of requests does to the loop that serves HTTP: nothing else runs on it
        station.join(5)
        assert result["frame"][0] == 3 and "currentTime" in result["frame"][2]
        assert result["seconds"] < 0.5, f"the heartbeat waited {result['seconds']:.2f} s for the API's loop"
    finally:
        await gateway.stop()


async def test_commands_from_the_api_loop_reach_the_station_and_come_back(engine):
    add_network(engine, password=PASSWORD)
    gateway = GatewayThread(Gateway(engine, GatewaySettings(command_timeout=2.0, sweep_interval=3600)))
    await gateway.start("127.0.0.1", 0)
    try:
        async with charger(f"ws://127.0.0.1:{gateway.port}", "CP-1", password=PASSWORD):
            for _ in range(50):  # the station is registered once its handshake has run on the gateway's loop
                if "CP-1" in gateway.connected:
                    break
                await asyncio.sleep(0.02)
            assert (await gateway.command("CP-1", "Reset", {"type": "Soft"}))["status"] == "Accepted"
    finally:
        await gateway.stop()
    assert not gateway.loop.is_running()
