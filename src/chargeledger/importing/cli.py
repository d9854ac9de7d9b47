"""`chargeledger import sessions FILE --mapping MAPPING.toml [--org ORG] [--dry-run]`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ..directory.registry import RegistryError
from ..storage.database import make_engine
from .mapping import MappingError, load_mapping
from .sessions import ImportReport, import_sessions

import_app = typer.Typer(help="Import history from other systems.")
console = Console(stderr=True)
SHOWN_ERRORS = 50


@import_app.command("sessions")
def sessions_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV file of past sessions"),
    mapping: str = typer.Option(..., help="mapping TOML file, or the name of a shipped one "
                                          "(trondheim_residential, workplace_dataverse)"),
    org: str = typer.Option(None, help="organisation to import into (overrides the mapping's)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check every row and report; store nothing"),
    notify: bool = typer.Option(False, "--notify", help="run ledger reactions (tariff freeze) per session"),
) -> None:
    """Import past charging sessions; bad rows are reported with their line number, good rows are stored."""
    try:
        declared = load_mapping(mapping)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=console) as bar:
            task = bar.add_task("checking" if dry_run else "importing", total=None)
            report = import_sessions(make_engine(), file, declared, org, dry_run, notify=notify,
                                     progress=lambda done, total: bar.update(task, completed=done, total=total))
    except (MappingError, RegistryError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    _print(report)
    if report.rejected:
        raise typer.Exit(1)


def _print(report: ImportReport) -> None:
    if report.errors:
        table = Table("line", "reason", title=f"{report.rejected} row(s) rejected")
        for error in report.errors[:SHOWN_ERRORS]:
            table.add_row(str(error.line), error.reason)
        console.print(table)
        if report.rejected > SHOWN_ERRORS:
            console.print(f"… and {report.rejected - SHOWN_ERRORS} more (all are in the import run's record)")
    verb = "would import" if report.dry_run else "imported"
    console.print(f"{report.file} ({report.encoding}): {report.rows_total} rows, {verb} {report.imported} "
                  f"({report.kwh_imported} kWh), {report.skipped} already stored, {report.rejected} rejected"
                  + (f"; import run {report.run_id}" if report.run_id else ""))


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
