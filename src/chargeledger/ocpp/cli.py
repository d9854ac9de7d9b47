"""`chargeledger simulate` (simulated chargers), `chargeledger ocpp purge-log` (message-log retention) and
`chargeledger ocpp command` (remote commands, ocpp/command_cli.py)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import typer


def register(app: typer.Typer) -> None:
    ocpp_app = typer.Typer(help="OCPP gateway upkeep, and remote commands to stations.")
    app.add_typer(ocpp_app, name="ocpp")
    from . import command_cli
    command_cli.register(ocpp_app)

    @ocpp_app.command("purge-log")
    def purge_log(older_than_days: int = typer.Option(..., "--older-than-days", min=1)) -> None:
        """Delete OCPP message-log frames older than N days."""
        from ..storage.database import make_engine
        from .message_log import purge
        typer.echo(f"{purge(make_engine(), timedelta(days=older_than_days))} frames deleted")

    @app.command("simulate")
    def simulate(stations: int = typer.Option(2, min=1, max=10000), sessions: int = typer.Option(4, min=1),
                 speed: float = typer.Option(60.0, min=0.01, help="charger time runs this many times real time"),
                 ocpp: str = typer.Option("1.6", help="1.6 or 2.0.1"),
                 url: str = typer.Option("ws://127.0.0.1:9000", help="the gateway, without /ocpp/…"),
                 prefix: str = typer.Option("SIM-", help="station IDs are PREFIX1…PREFIXN"),
                 password: str = typer.Option(None, help="HTTP Basic password of the stations"),
                 seed: int = typer.Option(1)) -> None:
        """Drive simulated chargers with realistic sessions against a running gateway."""
        from .simulator import simulate as run
        if ocpp not in ("1.6", "2.0.1"):
            raise typer.BadParameter("--ocpp is 1.6 or 2.0.1")
        began = time.monotonic()
        done = asyncio.run(run(url.rstrip("/"), [f"{prefix}{i}" for i in range(1, stations + 1)], sessions, speed,
                               ocpp, password, seed))
        typer.echo(f"{done} sessions completed on {stations} stations in {time.monotonic() - began:.1f} s")
