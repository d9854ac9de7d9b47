"""`chargeledger import sessions FILE --mapping MAPPING.toml [--org ORG] [--dry-run]` and
`chargeledger import cdrs FILE --format eviolin|ocpi` (partner CDRs, as roaming sessions)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                           TimeRemainingColumn)
from rich.table import Table
from rich.text import Text

from ..directory.registry import RegistryError
from ..storage.database import make_engine
from .mapping import MappingError, load_mapping
from .sessions import ImportReport, import_sessions

import_app = typer.Typer(help="Import history from other systems.")
console = Console(stderr=True)
SHOWN_ERRORS = 50
# Exit codes: a script tells "all stored" from "stored, but some rows rejected" from "nothing usable" from a crash.
EXIT_OK, EXIT_REJECTED_ROWS, EXIT_UNUSABLE, EXIT_CRASH = 0, 1, 2, 3


@import_app.command("sessions")
def sessions_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="past sessions: CSV/TSV, JSON, JSON Lines or XLSX, plain, .gz or .zip"),
    mapping: str = typer.Option(..., help="mapping TOML file, or the name of a shipped one "
                                          "(trondheim_residential, workplace_dataverse)"),
    org: str = typer.Option(None, help="organisation to import into (overrides the mapping's)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check every row and report; store nothing"),
    notify: bool = typer.Option(False, "--notify", help="run ledger reactions (tariff freeze) per session"),
) -> None:
    """Import past charging sessions; bad rows are reported with their line number, good rows are stored.

    Exit status: 0 every row imported (or already stored), 1 some rows rejected (the good ones are stored),
    2 the mapping or file is unusable (nothing stored), 3 an unexpected failure (reported without a traceback).
    """
    try:
        declared = load_mapping(mapping)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      _RowsPerSecond(),
                      TimeRemainingColumn(), console=console) as bar:
            task = bar.add_task("checking" if dry_run else "importing", total=None)
            report = import_sessions(make_engine(), file, declared, org, dry_run, notify=notify,
                                     progress=lambda done, total: bar.update(task, completed=done, total=total))
    except (MappingError, RegistryError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    except OSError as exc:
        console.print(f"[red]error:[/red] cannot read {exc.filename or file}: {exc.strerror or exc}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    except Exception as exc:  # noqa: BLE001 — the operator gets a sentence and an exit code, not a traceback
        console.print(f"[red]import failed:[/red] {type(exc).__name__}: {exc}. Rows already committed stay "
                      "stored; re-running the import skips them.")
        raise typer.Exit(EXIT_CRASH) from None
    _print(report)
    if report.rejected:
        raise typer.Exit(EXIT_REJECTED_ROWS)


def _print(report: ImportReport) -> None:
    if report.errors:
        table = Table("line", "reason", title=f"{report.rejected} row(s) rejected")
        for error in report.errors[:SHOWN_ERRORS]:
            table.add_row(error.where or str(error.line), error.reason)
        console.print(table)
        if report.rejected > SHOWN_ERRORS:
            console.print(f"… and {report.rejected - SHOWN_ERRORS} more (all are in the import run's record)")
    verb = "would import" if report.dry_run else "imported"
    summary = Table(title=f"{report.file} ({report.encoding})" + (" — dry run, nothing stored" if report.dry_run
                                                                  else ""), show_header=False)
    for label, value in (("rows read", report.rows_total), (verb, report.imported),
                         ("kWh " + verb, report.kwh_imported), ("skipped: already stored", report.skipped),
                         (escape("skipped by a [rules] skip"), report.skipped_by_rule),
                         ("flagged implausible (imported)", report.flagged), ("rejected", report.rejected)):
        summary.add_row(label, str(value))
    for reason, count in report.reasons().most_common(10):
        summary.add_row(f"  rejected: {reason}", str(count))
    if report.run_id:
        summary.add_row("import run", str(report.run_id))
    console.print(summary)


@import_app.command("cdrs")
def cdrs_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False),
    fmt: str = typer.Option(..., "--format", help="eviolin or ocpi"),
    network: str = typer.Option("OCPI", "--network", help="the roaming network the CDRs came through"),
) -> None:
    """Bring in partner CDRs as roaming sessions; bad rows are listed with line and reason, good rows go in.

    Exit status: 0 all imported, 1 some rows refused, 2 the file is unusable (as `import sessions`)."""
    from ..roaming.eviolin.reader import RowError
    from ..roaming.importing import import_cdrs

    try:
        result = import_cdrs(make_engine(), file, fmt, network)
    except RowError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    for line, reason in result.errors:
        console.print(f"line {line}: {reason}")
    console.print(f"{result.imported} imported, {result.already_known} already known, "
                  f"{result.corrected} corrected, {len(result.errors)} refused")
    if result.errors:
        raise typer.Exit(EXIT_REJECTED_ROWS)


class _RowsPerSecond(ProgressColumn):
    def render(self, task) -> Text:
        return Text(f"{task.speed:,.0f} rows/s" if task.speed else "")


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
