"""The 1.6 commands of the feature profiles from the command line (`chargeledger ocpp command`, through a running
server with an API key) to a charger played by the ocpp library, and what the back office kept of them."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import websockets
from typer.testing import CliRunner

from chargeledger.cli.main import app
from chargeledger.ocpp import local_list, reservations
from chargeledger.ocpp.commands import ALLOWED
from tests.builders import add_network
from tests.ocpp.helpers import support_key
from tests.ocpp.lab16 import Lab16
from tests.web.live import LiveServer


def test_feature_profile_commands_from_the_command_line(sqlite_engine, monkeypatch):
    add_network(sqlite_engine)
    key = support_key(sqlite_engine)
    server = LiveServer(sqlite_engine)
    try:
        async def connect():
            ws = await websockets.connect(f"ws://127.0.0.1:{server.gateway.port}/ocpp/CP-1",
                                          subprotocols=["ocpp1.6"])
            cp = Lab16("CP-1", ws, response_timeout=5)
            asyncio.get_running_loop().create_task(cp.start())
            return cp
        cp = server.run(connect())
        monkeypatch.setenv("CHARGELEDGER_API_URL", server.url)
        monkeypatch.setenv("CHARGELEDGER_API_KEY", key)
        runner = CliRunner()

        def send(name: str, payload: dict) -> dict:
            done = runner.invoke(app, ["ocpp", "command", "CP-1", name, json.dumps(payload)])
            assert done.exit_code == 0, done.output
            return json.loads(done.stdout)

        assert send("ClearCache", {}) == {"status": "Accepted"}
        assert send("SendLocalList", {"listVersion": 3, "updateType": "Full", "localAuthorizationList": [
            {"idTag": "CLI-TAG", "idTagInfo": {"status": "Accepted"}}]}) == {"status": "Accepted"}
        assert send("GetLocalListVersion", {}) == {"list_version": 3}
        assert send("ReserveNow", {"connectorId": 1, "expiryDate": "2999-01-01T00:00:00Z", "idTag": "CLI-TAG",
                                   "reservationId": 5}) == {"status": "Accepted"}
        assert send("CancelReservation", {"reservationId": 5}) == {"status": "Accepted"}
        assert send("GetDiagnostics", {"location": "https://upload.example/d"}) == {"file_name": "diagnostics-lab.zip"}
        assert send("UpdateFirmware", {"location": "https://fw.example/f.bin",
                                       "retrieveDate": "2024-03-05T08:00:00Z"}) == {}
        listed = runner.invoke(app, ["ocpp", "commands", "--version", "1.6"])
        assert listed.stdout.split() == list(ALLOWED["1.6"])
    finally:
        server.close()
    assert cp.local_list == {"CLI-TAG": {"status": "Accepted"}} and cp.reservations == {}
    assert local_list.holding(sqlite_engine, "CP-1")["version"] == 3
    assert reservations.find(sqlite_engine, "CP-1", 5, datetime.now(timezone.utc))["status"] == "Cancelled"
