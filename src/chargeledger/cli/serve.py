"""`chargeledger serve`: the HTTP API and pages on one port, the OCPP gateway on another, one event loop."""

from __future__ import annotations

import asyncio
import importlib

import typer
import uvicorn

from ..http.app import create_app
from ..http.serving import server_config
from ..http.settings import HttpSettings
from ..ledger.outbox import Worker, hand_off
from ..reports.sqlite_snapshot import remove_leftovers
from ..storage.database import make_engine, upgrade


def _gateway_class():
    try:
        return importlib.import_module("chargeledger.ocpp.gateway").Gateway
    except ModuleNotFoundError:
        return None


def gateway_settings(tls_cert: str | None, tls_key: str | None, auto_register_site: str | None,
                     tls_client_ca: str | None = None, ping_interval: float | None = None,
                     settle_after_minutes: float | None = None, auto_register_status: str | None = None):
    """The gateway's operator options from the command line; a certificate that cannot be loaded stops the start."""
    from datetime import timedelta

    from ..ocpp.settings import GatewaySettings

    if tls_key and not tls_cert:
        raise typer.BadParameter("--tls-key needs --tls-cert", param_hint="--tls-key")
    if tls_client_ca and not tls_cert:
        raise typer.BadParameter("--tls-client-ca needs --tls-cert (profile 3 is TLS)", param_hint="--tls-client-ca")
    settings = GatewaySettings(auto_register_site=auto_register_site or None)
    if auto_register_status:
        if auto_register_status not in ("Pending", "Accepted"):
            raise typer.BadParameter("Pending (wait for approval) or Accepted", param_hint="--auto-register-status")
        settings.auto_register_status = auto_register_status
    if ping_interval is not None:
        settings.ping_interval = ping_interval
    if settle_after_minutes is not None:
        settings.settle_after = timedelta(minutes=settle_after_minutes)
    if tls_cert:
        try:
            settings.ssl_context = GatewaySettings.tls(tls_cert, tls_key, tls_client_ca)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise typer.BadParameter(f"cannot load the certificate: {exc}", param_hint="--tls-cert") from None
    return settings


async def serve_forever(host: str, http_port: int, ocpp_port: int, simulate: bool, settings=None,
                        http_settings: HttpSettings | None = None, worker: bool = True) -> None:
    engine = make_engine()
    upgrade(engine)
    remove_leftovers(engine)
    # Settlement, capture and roaming pushes run in the outbox worker, off the thread that answers chargers; with
    # --no-worker a separate `chargeledger worker` process runs them.
    outbox_worker = Worker(engine).start() if worker else None
    if not worker:
        hand_off(engine)
    gateway_class = _gateway_class()
    gateway = gateway_class(engine, settings) if gateway_class else None
    http_settings = http_settings or HttpSettings.from_env()
    app = create_app(engine, gateway, http_settings)
    server = uvicorn.Server(server_config(app, http_settings, host, http_port, log_level="info", lifespan="on"))
    tasks = [asyncio.create_task(server.serve())]
    if gateway is not None:
        await gateway.start(host, ocpp_port)
        scheme = "wss" if gateway.settings.ssl_context else "ws"
        typer.echo(f"OCPP gateway on {scheme}://{host}:{ocpp_port}/ocpp/{{station_id}}")
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
        if outbox_worker is not None:
            await asyncio.to_thread(outbox_worker.stop)


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(host: str = typer.Option("127.0.0.1"), http_port: int = typer.Option(8000),
              ocpp_port: int = typer.Option(9000),
              simulate: bool = typer.Option(False, "--simulate", help="drive demo chargers for live sessions"),
              tls_cert: str = typer.Option(None, "--tls-cert", help="PEM certificate (chain): OCPP over wss://"),
              tls_key: str = typer.Option(None, "--tls-key", help="PEM private key, if not in the certificate file"),
              auto_register_site: str = typer.Option(None, "--auto-register-site", metavar="SITE_ID",
                                                     help="unknown stations join this site instead of being refused"),
              auto_register_status: str = typer.Option("Pending", "--auto-register-status",
                                                       help="Pending: they wait for the operator's approval "
                                                            "(`station registration`); Accepted: at once"),
              tls_client_ca: str = typer.Option(None, "--tls-client-ca", metavar="PEM",
                                                help="CA of the stations' client certificates: security profile 3"),
              ping_interval: float = typer.Option(30.0, "--ping-interval", metavar="SECONDS",
                                                  help="websocket ping to each charger; no pong within one more "
                                                       "interval ends its connection (0: off)"),
              settle_after: float = typer.Option(120.0, "--settle-after", metavar="MINUTES",
                                                 help="a stopped session whose vehicle never reports leaving "
                                                      "settles after this"),
              trusted_proxy: str = typer.Option(None, "--trusted-proxy", metavar="ADDRESSES",
                                                help="reverse proxy address(es), comma-separated, whose X-Forwarded-"
                                                     "For/-Proto are believed (HTTP limits: docs/security.md)"),
              worker: bool = typer.Option(True, "--worker/--no-worker",
                                          help="run the outbox worker (settlement, payments) in this process"),
              ) -> None:
        """Serve the API and web pages (HTTP) and the OCPP gateway (websockets)."""
        settings = gateway_settings(tls_cert, tls_key, auto_register_site, tls_client_ca, ping_interval,
                                    settle_after, auto_register_status)
        try:
            http_settings = HttpSettings.from_env(trusted_proxy=trusted_proxy)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        typer.echo(f"ChargeLedger on http://{host}:{http_port}  (API docs at /docs)")
        asyncio.run(serve_forever(host, http_port, ocpp_port, simulate, settings, http_settings=http_settings,
                                  worker=worker))
