"""`chargeledger demo load [--if-empty] [--sessions N]`: a demo operator that looks like a real one."""

from __future__ import annotations

import time

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ..storage.database import make_engine, upgrade
from .build import DEFAULT_SESSIONS, build_demo, has_data, is_loaded

demo_app = typer.Typer(help="The demo operator.")
console = Console(stderr=True)


@demo_app.command("load")
def load(if_empty: bool = typer.Option(False, "--if-empty", help="do nothing when the database has data"),
         sessions: int = typer.Option(DEFAULT_SESSIONS, min=0, max=2_000_000, help="historical sessions"),
         seed: int = typer.Option(7, help="same seed, same demo")) -> None:
    """Create two organisations, their network, tariffs, users and historical sessions, settled and paid."""
    engine = make_engine()
    upgrade(engine)
    if if_empty and has_data(engine):
        console.print("the database has data already: demo not loaded")
        return
    if is_loaded(engine):
        console.print("[red]error:[/red] the demo operator is loaded already")
        raise typer.Exit(2)
    began = time.monotonic()
    with Progress(TextColumn("[bold]demo sessions"), BarColumn(), MofNCompleteColumn(), console=console) as bar:
        task = bar.add_task("", total=sessions)
        summary = build_demo(engine, sessions, seed,
                             progress=lambda done, total: bar.update(task, completed=done))
    money = summary.money
    console.print(f"demo operator loaded: {summary.sessions} sessions in {time.monotonic() - began:.1f} s; "
                  f"{money.settled} settled, {money.payments} payments ({money.failed_payments} failed), "
                  f"{money.refunds} refunds")
    for email, password in summary.passwords.items():
        console.print(f"  sign in as {email} with password {password}")


def register(app: typer.Typer) -> None:
    app.add_typer(demo_app, name="demo")
