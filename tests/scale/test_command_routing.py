"""Issue 19: a remote command made through an API process reaches the gateway process holding the station's
websocket over NATS, and the charger's answer comes back; a station no gateway holds is offline at once; a gateway
killed mid-command gives a timeout error within the command's deadline. The API shows the connection state."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.builders import add_network, add_user_key
from tests.ocpp.helpers import charger

from .processes import start

pytestmark = pytest.mark.postgres
COMMAND_TIMEOUT = 3.0


async def _wait_for(check, seconds: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while True:
        value = await asyncio.to_thread(check)
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def test_commands_cross_processes_and_fail_fast_or_within_the_deadline(pg_engine, postgres_url, nats_url,
                                                                            tmp_path):
    add_network(pg_engine)
    add_network(pg_engine, org_id="ACME2", station_id="CP-2")
    key = add_user_key(pg_engine, "ops@acme.example", ["ACME", "ACME2"], ["stations", "support"])
    env = {"CHARGELEDGER_COMMAND_TIMEOUT": str(COMMAND_TIMEOUT)}
    gateway = start(tmp_path, postgres_url, nats_url, "gateway", name="gw-a", env=env)
    api = start(tmp_path, postgres_url, nats_url, "api", name="api-1", env=env)
    gateway.ready(), api.ready()
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{api.port}", headers={"Authorization": f"Bearer {key}"},
                             timeout=30)
    try:
        async with charger(f"ws://127.0.0.1:{gateway.port}", "CP-1") as cp:
            station = await _wait_for(lambda: _connected(api.port, key, "CP-1"), what="CP-1 connected")
            assert station["gateway"] == "gw-a" and station["connected_since"] and station["last_message_at"]
            page = await http.get("/stations/CP-1")
            assert page.status_code == 200 and "connected to gateway\n      gw-a since" in page.text

            answer = await http.post("/api/stations/CP-1/commands/Reset", json={"type": "Soft"})
            assert answer.status_code == 200, answer.text
            assert answer.json()["answer"] == {"status": "Accepted"}
            bad = await http.post("/api/stations/CP-1/commands/Explode", json={})
            assert bad.status_code == 400 and "not a command" in bad.json()["detail"]

            started = time.monotonic()
            offline = await http.post("/api/stations/CP-2/commands/Reset", json={"type": "Soft"})
            assert offline.status_code == 409 and "not connected" in offline.json()["detail"]
            assert time.monotonic() - started < 1.0
            assert (await http.get("/api/stations/CP-2")).json()["connected"] is False

            cp.answer = None  # the charger sits on the stop; the gateway dies meanwhile
            asking = asyncio.create_task(http.post("/api/stations/CP-1/commands/RemoteStopTransaction",
                                                   json={"transactionId": 1}))
            await asyncio.sleep(0.5)
            started = time.monotonic()
            gateway.kill()
            reply = await asking
            waited = time.monotonic() - started
        assert reply.status_code == 504, reply.text
        assert "gw-a" in reply.json()["detail"] and waited < COMMAND_TIMEOUT + 2.5
        # its lease may still look alive: the bus says nobody answers for it (or the lease ran out): 409 at once
        started = time.monotonic()
        orphan = await http.post("/api/stations/CP-1/commands/Reset", json={"type": "Soft"})
        assert orphan.status_code == 409 and time.monotonic() - started < 1.0, orphan.text
        assert "left the bus" in orphan.json()["detail"] or "not connected" in orphan.json()["detail"]
        # the killed gateway cannot clear its stations: its lease runs out and the API says offline
        await _wait_for(lambda: _connected(api.port, key, "CP-1") is None, 20, "CP-1 offline after the kill")
        gone = await http.post("/api/stations/CP-1/commands/Reset", json={"type": "Soft"})
        assert gone.status_code == 409
    finally:
        await http.aclose()
        api.stop()
        gateway.kill()


def _connected(port: int, key: str, station_id: str) -> dict | None:
    row = httpx.get(f"http://127.0.0.1:{port}/api/stations/{station_id}",
                    headers={"Authorization": f"Bearer {key}"}).json()
    assert {"connected", "connected_since", "gateway", "last_message_at", "status", "last_seen_at"} <= set(row)
    return row if row["connected"] else None
