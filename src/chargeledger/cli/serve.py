"""`chargeledger serve`: the HTTP API and pages on one port, the OCPP gateway on another, the outbox worker; or
only some of them (`--role`), the others running elsewhere (composition.py)."""

from __future__ import annotations


import typer
from pydantic import ValidationError

from ..bus import BusUnavailable
from ..composition import Process, RolesRefused, run, serve
from ..settings import ROLES, Settings


def gateway_settings(tls_cert: str | None, tls_key: str | None, auto_register_site: str | None,
                     tls_client_ca: str | None = None, ping_interval: float | None = None,
                     settle_after_minutes: float | None = None, command_timeout: float | None = None,
                     auto_register_status: str | None = None, heartbeat_interval: int | None = None,
                     tls_port: int | None = None, concurrent_transactions: bool = False):
    """The gateway's operator options from the command line; a certificate that cannot be loaded stops the start."""
    from datetime import timedelta

    from ..ocpp.settings import GatewaySettings

    if tls_key and not tls_cert:
        raise typer.BadParameter("--tls-key needs --tls-cert", param_hint="--tls-key")
    if tls_port is not None and not tls_cert:
        raise typer.BadParameter("--ocpp-tls-port needs --tls-cert", param_hint="--ocpp-tls-port")
    if tls_client_ca and not tls_cert:
        raise typer.BadParameter("--tls-client-ca needs --tls-cert (profile 3 is TLS)", param_hint="--tls-client-ca")
    settings = GatewaySettings(auto_register_site=auto_register_site or None, tls_port=tls_port,
                               concurrent_transactions=concurrent_transactions)
    if auto_register_status:
        if auto_register_status not in ("Pending", "Accepted"):
            raise typer.BadParameter("Pending (wait for approval) or Accepted", param_hint="--auto-register-status")
        settings.auto_register_status = auto_register_status
    if ping_interval is not None:
        settings.ping_interval = ping_interval
    if command_timeout is not None:
        settings.command_timeout = command_timeout
    if heartbeat_interval is not None:
        settings.heartbeat_interval = heartbeat_interval
    if settle_after_minutes is not None:
        settings.settle_after = timedelta(minutes=settle_after_minutes)
    if tls_cert:
        try:
            settings.ssl_context = GatewaySettings.tls(tls_cert, tls_key, tls_client_ca)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise typer.BadParameter(f"cannot load the certificate: {exc}", param_hint="--tls-cert") from None
    return settings


def start(process: Process) -> None:
    """Run the process until it is stopped (the tests replace this to see what the command line built)."""
    try:
        run(serve(process))
    except BusUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(host: str = typer.Option("127.0.0.1"), http_port: int = typer.Option(8000),
              ocpp_port: int = typer.Option(9000),
              simulate: bool = typer.Option(False, "--simulate", help="drive demo chargers for live sessions"),
              tls_cert: str = typer.Option(None, "--tls-cert", help="PEM certificate (chain): OCPP over wss://"),
              tls_key: str = typer.Option(None, "--tls-key", help="PEM private key, if not in the certificate file"),
              ocpp_tls_port: int = typer.Option(None, "--ocpp-tls-port",
                                                help="with --tls-cert: wss:// (profiles 2, 3) on this port and ws:// "
                                                     "(profile 1) on --ocpp-port, so stations can move up"),
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
              heartbeat_interval: int = typer.Option(300, "--heartbeat-interval", metavar="SECONDS", min=1,
                                                     max=86400, help="told to accepted stations at each boot"),
              concurrent_transactions: bool = typer.Option(
                  False, "--concurrent-transactions/--one-transaction-per-token",
                  help="whether a token may charge several vehicles at once; by default a second start is "
                       "answered ConcurrentTx and its session flagged"),
              trusted_proxy: str = typer.Option(None, "--trusted-proxy", metavar="ADDRESSES",
                                                help="reverse proxy address(es), comma-separated, whose X-Forwarded-"
                                                     "For/-Proto are believed (HTTP limits: docs/security.md)"),
              worker: bool = typer.Option(True, "--worker/--no-worker",
                                          help="with every role: run the outbox worker in this process, or leave "
                                               "it to a `chargeledger worker`"),
              role: list[str] = typer.Option([], "--role", metavar="gateway|api|worker",
                                             help="run only this part (repeatable); split roles need "
                                                  "CHARGELEDGER_BUS_URL and PostgreSQL (docs/deploy.md)"),
              ) -> None:
        """Serve the API and web pages (HTTP), the OCPP gateway (websockets) and the outbox worker, or some."""
        try:
            settings = Settings()
            if trusted_proxy:
                settings.http.trusted_proxy = trusted_proxy
        except (ValidationError, ValueError) as exc:
            raise typer.BadParameter(str(exc)) from None
        ocpp = gateway_settings(tls_cert, tls_key, auto_register_site, tls_client_ca, ping_interval, settle_after,
                                settings.command_timeout, auto_register_status, heartbeat_interval, ocpp_tls_port,
                                concurrent_transactions)
        process = Process(settings, frozenset(role or ROLES), host, http_port, ocpp_port, ocpp, simulate, worker)
        try:
            process.check()
        except RolesRefused as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        start(process)
