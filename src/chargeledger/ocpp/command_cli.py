"""`chargeledger ocpp command STATION ACTION [PAYLOAD]`: any remote command, through the running server's API.

The gateway holding the station's websocket lives in `chargeledger serve` (or behind it on the bus), so the command
line asks the API like any client: with an API key, under the key's rights and organisations, in the audit trail.
`chargeledger ocpp commands` lists what each protocol version accepts."""

from __future__ import annotations

import json
import os

import httpx
import typer

from .commands import ALLOWED


def register(ocpp_app: typer.Typer) -> None:
    @ocpp_app.command("commands")
    def list_commands(version: str = typer.Option("2.0.1", help="1.6 or 2.0.1")) -> None:
        """The remote commands a station of this OCPP version takes."""
        if version not in ALLOWED:
            raise typer.BadParameter("1.6 or 2.0.1", param_hint="--version")
        typer.echo("\n".join(ALLOWED[version]))

    @ocpp_app.command("command")
    def send(station_id: str, action: str = typer.Argument(..., help="e.g. Reset, GetVariables, ReserveNow"),
             payload: str = typer.Argument("{}", help="the OCPP payload as JSON (camelCase), e.g. "
                                                      "'{\"type\": \"Immediate\"}'"),
             url: str = typer.Option("http://127.0.0.1:8000", envvar="CHARGELEDGER_API_URL",
                                     help="the API of `chargeledger serve`"),
             key: str = typer.Option(None, envvar="CHARGELEDGER_API_KEY",
                                     help="an API key (`chargeledger apikey create`)"),
             timeout: float = typer.Option(60.0, help="seconds to wait for the station's answer")) -> None:
        """Send a remote command to a connected station and print its answer as JSON."""
        if not key:
            raise typer.BadParameter("an API key is needed (--key or CHARGELEDGER_API_KEY)", param_hint="--key")
        try:
            body = json.loads(payload)
        except json.JSONDecodeError as exc:
            raise typer.BadParameter(f"not JSON: {exc}", param_hint="PAYLOAD") from None
        try:
            answer = httpx.post(f"{url.rstrip('/')}/api/stations/{station_id}/commands/{action}", json=body,
                                headers={"Authorization": f"Bearer {key}"}, timeout=timeout)
        except httpx.HTTPError as exc:
            typer.echo(f"error: cannot reach {url}: {exc}", err=True)
            raise typer.Exit(1) from None
        if answer.status_code != 200:
            detail = answer.json().get("detail") if answer.headers.get("content-type", "").startswith(
                "application/json") else answer.text
            typer.echo(f"error: {answer.status_code}: {detail}", err=True)
            raise typer.Exit(1 if answer.status_code >= 500 else 2)
        typer.echo(json.dumps(answer.json()["answer"], indent=2, default=str))
