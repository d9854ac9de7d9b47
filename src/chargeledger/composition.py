"""The composition root: one `chargeledger serve` process built from the settings and its roles.

Every role in one process (the default) is the embedded product: SQLite or PostgreSQL, no bus. Split roles run on
several processes or machines around one PostgreSQL database and one NATS bus (docs/deploy.md):
- gateway: the OCPP websockets; answers remote commands for the stations it holds over the bus;
- api: the HTTP API and web pages; sends remote commands to whichever gateway holds the station;
- worker: the outbox reactions (settlement, pricing, payments, receipts, roaming pushes), the OCPI push queue,
  report jobs, and (with a bus) the relay of committed ledger events onto it.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from datetime import timedelta
from dataclasses import dataclass, field
from typing import Any, Coroutine, TypeVar

import typer
import uvicorn

from . import bus
from .bus import events as bus_events
from .http.app import create_app
from .http.serving import server_config
from .ledger.outbox import Worker, hand_off
from .pki import authority as pki_authority
from .reports import job_runner
from .reports.sqlite_snapshot import remove_leftovers
from .settings import ROLES, Settings, process_name, refuse_roles, use
from .storage.database import make_engine, upgrade

log = logging.getLogger(__name__)
T = TypeVar("T")


class RolesRefused(ValueError):
    pass


def run(main: Coroutine[Any, Any, T], fast_loop: bool = True) -> T:
    """Run a process's main coroutine on uvloop (it comes with uvicorn[standard]): the event loop's own work, the
    sockets and the scheduling of a gateway's tens of thousands of connections, costs less CPU there
    (bench/scale_out.py --asyncio-loop compares); asyncio's own loop where uvloop is not installed."""
    if fast_loop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.run(main)
    return asyncio.run(main)


@dataclass
class Process:
    """What one serve process runs; `host`, ports and the gateway's options come from the command line."""

    settings: Settings
    roles: frozenset[str] = frozenset(ROLES)
    host: str = "127.0.0.1"
    http_port: int = 8000
    ocpp_port: int = 9000
    gateway_settings: object | None = None  # ocpp.settings.GatewaySettings
    simulate: bool = False
    worker_here: bool = True  # all roles but `--no-worker`: reactions left to a `chargeledger worker`
    beside_serve: bool = False  # `chargeledger worker`: may run without a bus, polling, beside `serve --no-worker`
    _tasks: list = field(default_factory=list)

    def check(self) -> None:
        unknown = set(self.roles) - set(ROLES)
        if unknown:
            raise RolesRefused(f"unknown role {', '.join(sorted(unknown))}: choose from {', '.join(ROLES)}")
        refused = None if self.beside_serve else refuse_roles(self.settings, set(self.roles))
        if refused:
            raise RolesRefused(refused)


async def serve(process: Process) -> None:
    process.check()
    settings = use(process.settings)
    roles = process.roles
    engine = make_engine(settings.database_url)
    upgrade(engine)
    remove_leftovers(engine)
    # Settlement, capture and roaming pushes run in the outbox worker, off the thread that answers chargers.
    client = await bus.connect(settings.bus_url, process_name(settings)) if settings.bus_url else None
    outbox_worker = reports = None
    if "worker" in roles and process.worker_here:
        outbox_worker = Worker(engine, settings.worker_poll_interval).start()
        reports = job_runner.Runner(engine, settings.worker_poll_interval).start()
        if client is not None:  # writers and APIs elsewhere say when there is work: no waiting for the poll
            async def on_committed(_msg, worker=outbox_worker) -> None:
                worker.wake()

            async def on_report_queued(_msg, runner=reports) -> None:
                runner.wake()

            await client.subscribe(bus.COMMITTED, cb=on_committed)
            await client.subscribe(bus.REPORTS_QUEUED, cb=on_report_queued)
    else:
        work_elsewhere(engine, client)
    pusher = ocpi_pusher(engine) if outbox_worker is not None else None  # OCPI pushes, each partner on its own
    gateway = None
    if "gateway" in roles:
        gateway = _gateway(engine, process, client)
        if "api" in roles and client is None:
            # one process serving chargers and people: the chargers get a loop of their own (ocpp/own_loop.py)
            from .ocpp.own_loop import GatewayThread

            gateway = GatewayThread(gateway)
    stopping: list[asyncio.Task] = []
    ftp = login_checks = None
    if client is not None and outbox_worker is not None:
        # committed ledger events onto the bus, typed and versioned, for other processes and systems
        stopping.append(asyncio.create_task(bus_events.run_relay(engine, client)))
    try:
        if gateway is not None:
            await gateway.start(process.host, process.ocpp_port)
            await asyncio.to_thread(gateway.passwords.start)  # the stations' password worker, before they knock
            scheme = "wss" if gateway.settings.ssl_context and gateway.tls_port is None else "ws"
            typer.echo(f"OCPP gateway on {scheme}://{process.host}:{process.ocpp_port}/ocpp/{{station_id}}")
            if gateway.tls_port is not None:
                typer.echo(f"OCPP gateway on wss://{process.host}:{gateway.tls_port}/ocpp/{{station_id}}")
            if process.simulate:
                simulator = importlib.import_module("chargeledger.ocpp.simulator")
                stopping.append(asyncio.create_task(simulator.run_demo_traffic(engine, process.host,
                                                                               process.ocpp_port)))
        if "api" in roles:
            commands = gateway
            if client is not None:
                from .ocpp.remote import RemoteCommands

                commands = RemoteCommands(engine, client, settings.command_timeout, local=gateway)
            if settings.ftp_port is not None:
                ftp = _ftp_uploads(engine, process)
                typer.echo(f"FTP uploads on ftp://{process.host}:{ftp.port}/")
            app = create_app(engine, commands, settings.http, ftp)
            login_checks = app.state.login_guard.pool
            await asyncio.to_thread(login_checks.start)  # its worker process, so the first login need not wait
            server = uvicorn.Server(server_config(app, settings.http, process.host, process.http_port,
                                                  log_level="info", lifespan="on"))
            typer.echo(f"ChargeLedger on http://{process.host}:{process.http_port}  (API docs at /docs)")
            await server.serve()
        else:
            typer.echo(f"running {', '.join(sorted(roles))}; SIGTERM or Ctrl-C stops")
            await _until_signalled()
    finally:
        for task in stopping:
            task.cancel()
        if ftp is not None:
            # not awaited: after Ctrl-C the task is being cancelled, and an await here would leave the thread
            # running; stopping takes at most one 0.2 s poll of its loop
            ftp.stop()
        if gateway is not None:
            await gateway.stop()
        if login_checks is not None:
            login_checks.shutdown()
        if outbox_worker is not None:
            await asyncio.to_thread(outbox_worker.stop)
        if reports is not None:
            await asyncio.to_thread(reports.stop)
        if client is not None:
            await client.close()
        if pusher is not None:
            await asyncio.to_thread(pusher.stop)


def work_elsewhere(engine, client) -> None:
    """Reactions and report jobs of this engine run in worker processes: writers here only commit and, with a bus,
    wake the workers with a notice (bench/scale_out.py builds its gateways with this too). On the running loop."""
    hand_off(engine, bus.notice(client, bus.COMMITTED) if client is not None else None)
    job_runner.hand_off(engine, bus.notice(client, bus.REPORTS_QUEUED) if client is not None else None)


def _ftp_uploads(engine, process: Process):
    from .ocpp.ftp_uploads import FtpSettings, FtpUploads

    settings = process.settings
    return FtpUploads(engine, FtpSettings(settings.ftp_port, process.host, settings.ftp_public_host,
                                          settings.ftp_passive_range, settings.http.max_upload_bytes)).start()


def ocpi_pusher(engine):
    """The sender of the OCPI push queue, when the OCPI adapter is installed."""
    try:
        queue = importlib.import_module("chargeledger.ocpi.queue")
    except ModuleNotFoundError:
        return None
    return queue.Pusher(engine).start()


def _gateway(engine, process: Process, client):
    try:
        gateway_class = importlib.import_module("chargeledger.ocpp.gateway").Gateway
    except ModuleNotFoundError:
        raise RolesRefused("the gateway role needs the OCPP adapter (chargeledger.ocpp), which is not installed")
    gateway_settings = process.gateway_settings or importlib.import_module("chargeledger.ocpp.settings").GatewaySettings()
    try:
        authority = pki_authority.from_settings(process.settings)
    except pki_authority.AuthorityError as exc:
        raise RolesRefused(str(exc)) from None
    if authority is not None:  # it signs station certificates, which then admit their stations at profile 3
        gateway_settings.authority = authority
        gateway_settings.station_certificate_days = process.settings.station_certificate_days
        gateway_settings.certificate_renew_before = timedelta(days=process.settings.certificate_renew_days)
        gateway_settings.trust_station_ca(authority.pem)
    return gateway_class(engine, gateway_settings, process_name(process.settings), client)


async def _until_signalled() -> None:
    """Without the HTTP server (which handles signals itself), stop cleanly on SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
