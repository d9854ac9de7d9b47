"""`chargeledger serve`: the HTTP API and pages on one port, the OCPP gateway on another, one event loop."""

from __future__ import annotations

import asyncio
import importlib

import typer
import uvicorn

from ..http.app import create_app
from ..storage.database import make_engine, upgrade


def _gateway_class():
    try:
        return importlib.import_module("chargeledger.ocpp.gateway").Gateway
    except ModuleNotFoundError:
        return None


async def serve_forever(host: str, http_port: int, ocpp_port: int, simulate: bool) -> None:
    engine = make_engine()
    upgrade(engine)
    gateway_class = _gateway_class()
    gateway = gateway_class(engine) if gateway_class else None
    app = create_app(engine, gateway)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=http_port, log_level="info", lifespan="on"))
    tasks = [asyncio.create_task(server.serve())]
    if gateway is not None:
        await gateway.start(host, ocpp_port)
        typer.echo(f"OCPP gateway on ws://{host}:{ocpp_port}/ocpp/{{station_id}}")
        if simulate:
            simulator = importlib.import_module("chargeledger.ocpp.simulator")
            tasks.append(asyncio.create_task(simulator.run_demo_traffic(engine, host, ocpp_port)))
    try:
        await tasks[0]
    finally:
        for task in tasks[1:]:
            task.cancel()
        if gateway is not None:
            await gateway.stop()


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(host: str = typer.Option("127.0.0.1"), http_port: int = typer.Option(8000),
              ocpp_port: int = typer.Option(9000),
              simulate: bool = typer.Option(False, "--simulate", help="drive demo chargers for live sessions")) -> None:
        """Serve the API and web pages (HTTP) and the OCPP gateway (websockets)."""
        typer.echo(f"ChargeLedger on http://{host}:{http_port}  (API docs at /docs)")
        asyncio.run(serve_forever(host, http_port, ocpp_port, simulate))
