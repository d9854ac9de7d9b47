"""Every 2.0.1 command from the command line and in the API's description: `chargeledger ocpp command` goes through
a real `serve`-like server (uvicorn and the gateway in one loop) to a station played by the ocpp library."""

from __future__ import annotations

import asyncio
import json

import websockets
from typer.testing import CliRunner

from chargeledger.cli.main import app
from chargeledger.http.app import create_app
from chargeledger.ocpp.commands import ALLOWED
from tests.builders import add_network
from tests.ocpp.helpers import support_key
from tests.ocpp.station201 import Station201
from tests.web.live import LiveServer


def test_commands_from_the_command_line(sqlite_engine, monkeypatch):
    add_network(sqlite_engine, ocpp="2.0.1")
    key = support_key(sqlite_engine)
    server = LiveServer(sqlite_engine)
    try:
        async def connect():
            ws = await websockets.connect(f"ws://127.0.0.1:{server.gateway.port}/ocpp/CP-1",
                                          subprotocols=["ocpp2.0.1"])
            cp = Station201("CP-1", ws, response_timeout=5)
            asyncio.get_running_loop().create_task(cp.start())
            await cp.boot()
            return cp
        cp = server.run(connect())
        monkeypatch.setenv("CHARGELEDGER_API_URL", server.url)
        monkeypatch.setenv("CHARGELEDGER_API_KEY", key)
        runner = CliRunner()
        reset = runner.invoke(app, ["ocpp", "command", "CP-1", "Reset", '{"type": "Immediate"}'])
        assert reset.exit_code == 0, reset.output
        assert json.loads(reset.stdout) == {"status": "Accepted"}
        assert [r[1]["type"] for r in cp.received if r[0] == "Reset"] == ["Immediate"]
        got = runner.invoke(app, ["ocpp", "command", "CP-1", "GetVariables", json.dumps({"getVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]})])
        assert json.loads(got.stdout)["get_variable_result"][0]["attribute_value"] == "300"
        refused = runner.invoke(app, ["ocpp", "command", "CP-1", "SelfDestruct"])
        assert refused.exit_code == 2 and "not a command" in refused.output
        offline = runner.invoke(app, ["ocpp", "command", "CP-404", "Reset", '{"type": "Immediate"}'])
        assert offline.exit_code == 2 and "404" in offline.output
        unauthorised = runner.invoke(app, ["ocpp", "command", "CP-1", "Reset", "{}", "--key", "wrong"])
        assert unauthorised.exit_code == 2 and "401" in unauthorised.output
        assert runner.invoke(app, ["ocpp", "command", "CP-1", "Reset", "{not json"]).exit_code == 2
        listed = runner.invoke(app, ["ocpp", "commands", "--version", "2.0.1"])
        assert listed.stdout.split() == list(ALLOWED["2.0.1"])
    finally:
        server.close()


def test_the_api_description_names_every_command(sqlite_engine):
    operation = create_app(sqlite_engine).openapi()["paths"]["/api/stations/{station_id}/commands/{name}"]["post"]
    assert all(name in operation["description"] for names in ALLOWED.values() for name in names)
