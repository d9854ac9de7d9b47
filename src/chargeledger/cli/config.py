"""`chargeledger config show`: the settings this machine's processes would start with, secrets masked."""

from __future__ import annotations

import json

import typer
from pydantic import ValidationError

from ..settings import Settings

config_app = typer.Typer(help="The effective settings (environment over the --config file over defaults).")


@config_app.command("show")
def show(as_json: bool = typer.Option(False, "--json", help="one JSON object instead of name = value lines")) -> None:
    """Print every effective setting; passwords and tokens in URLs are masked."""
    try:
        shown = Settings().shown()
    except (ValidationError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(shown, indent=2, default=str))
        return
    for name, value in shown.items():
        typer.echo(f"{name} = {'(not set)' if value is None else value}")


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
