"""`chargeledger tariff add FILE --org … [--site|--station|--evse …] [--from …] [--to …]` and `tariff export ID`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console

from ..access import audit
from ..pricing import TariffError
from ..storage.database import make_engine
from . import store

tariff_app = typer.Typer(help="OCPI tariffs: store versions, assign them, export the exact JSON.")
console = Console(stderr=True)


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        _fail(f"--{name} {value!r} is not an ISO 8601 date-time such as 2024-01-01T00:00:00Z")
    if moment.tzinfo is None:
        _fail(f"--{name} needs a time zone offset, for example 2024-01-01T00:00:00Z")
    return moment


@tariff_app.command("add")
def tariff_add(file: Path, org: str = typer.Option(...), site: str = typer.Option(None),
               station: str = typer.Option(None), evse: str = typer.Option(None),
               valid_from: str = typer.Option(None, "--from"), valid_to: str = typer.Option(None, "--to")) -> None:
    """Store the OCPI tariff in FILE (a known id adds a version) and assign it to the most specific scope given."""
    if sum(x is not None for x in (site, station, evse)) > 1:
        _fail("give at most one of --site, --station, --evse (without them the tariff applies to the organisation)")
    try:
        text = file.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror}")
    engine = make_engine()
    scope, scope_id = next(((s, v) for s, v in (("evse", evse), ("station", station), ("site", site)) if v),
                           ("organisation", org))
    start, end = _moment(valid_from, "from"), _moment(valid_to, "to")
    try:
        stored = store.save_tariff(engine, org, text)
        store.assign(engine, stored.tariff_id, scope, scope_id, start, end)
    except TariffError as exc:
        _fail("the tariff is refused:\n" + "\n".join(f"  {field}: {reason}" for field, reason in exc.problems))
    except store.TariffStoreError as exc:
        _fail(str(exc))
    audit.record(engine, audit.Actor.command_line(), audit.Action(
        "tariff.save", "tariff", stored.tariff_id, org, {"version": stored.version, "scope": scope,
                                                         "scope_id": scope_id}))
    console.print(f"tariff {stored.tariff_id} version {stored.version} stored and assigned to {scope} {scope_id}")
    typer.echo(f"{stored.tariff_id} {stored.version}")


@tariff_app.command("export")
def tariff_export(tariff_id: str, version: int = typer.Option(None)) -> None:
    """Print the exact OCPI JSON of TARIFF_ID (newest version unless --version)."""
    stored = store.get_tariff(make_engine(), tariff_id, version)
    if stored is None:
        _fail(f"no tariff {tariff_id}" + (f" version {version}" if version else ""))
    typer.echo(stored.to_json())


def register(app: typer.Typer) -> None:
    app.add_typer(tariff_app, name="tariff")
