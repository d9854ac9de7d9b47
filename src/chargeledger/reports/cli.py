"""`chargeledger report NAME` and `chargeledger export cdrs`, with a progress bar."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from ..storage.database import make_engine
from .catalogue import REPORTS
from .exports import EXPORTS, write_export
from .request import ReportError, build_request, caller_for_email, operator_caller
from .run import write_report

console = Console(stderr=True)
export_app = typer.Typer(help="CDR exports.")


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


def _bar(label: str):
    progress = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, transient=False)
    task = progress.add_task(label, total=None)
    return progress, lambda done, total: progress.update(task, completed=done, total=total or None)


def _request(engine, name, start, end, org, network, time_zone, as_user, known):
    caller = caller_for_email(engine, as_user) if as_user else operator_caller(engine)
    return build_request(engine, name, start, end, caller, org, network, time_zone, known_reports=known)


def report_command(
    names: list[str] = typer.Argument(..., help=f"one or more (format zip) of: {', '.join(REPORTS)}"),
    start: str = typer.Option(..., "--from", help="first day (midnight in --timezone) or time with offset, inclusive"),
    end: str = typer.Option(..., "--to", help="end day (its midnight in --timezone) or a time with offset, exclusive"),
    org: list[str] = typer.Option([], "--org", help="organisation ID, repeatable; default all you see"),
    network: str = typer.Option(None, "--network", help="OCPI, Hubject or Girève"),
    time_zone: str = typer.Option(None, "--timezone", help="IANA zone for times; default the user's"),
    as_user: str = typer.Option(None, "--as", help="run with this user's rights and organisations"),
    fmt: str = typer.Option("csv", "--format", help="csv, xlsx, json (JSON lines) or zip (several reports)"),
    members: str = typer.Option("csv", "--members", help="format zip: each report in these formats, e.g. csv,xlsx"),
    output: Path = typer.Option(..., "-o", "--output"),
) -> None:
    """Write reports (columns as the seed documents name them) to a CSV, XLSX or JSON file, or several in a ZIP."""
    engine = make_engine()
    try:
        if len(names) > 1 and fmt != "zip":
            raise ReportError("several reports go into one file with --format zip")
        request = _request(engine, names[0], start, end, org, network, time_zone, as_user, REPORTS)
        progress, update = _bar("+".join(names))
        with progress:
            rows = write_report(engine, request, fmt, output, update, names, members.split(","))
    except (ReportError, OSError) as error:
        _fail(str(error))
    console.print(f"{rows} rows written to {output} (times in {request.time_zone})")


@export_app.command("cdrs")
def export_cdrs(
    fmt: str = typer.Option(..., "--format", help=", ".join(EXPORTS)),
    start: str = typer.Option(..., "--from", help="CDR creation date from, inclusive"),
    end: str = typer.Option(..., "--to", help="CDR creation date to, exclusive"),
    org: list[str] = typer.Option([], "--org"),
    network: str = typer.Option(None, "--network"),
    as_user: str = typer.Option(None, "--as"),
    output: Path = typer.Option(..., "-o", "--output"),
) -> None:
    """Export CDRs created in the time frame (eViolin ZIP, reimbursement/tariff-distribution CSV, OCPI/OICP JSON lines)."""
    engine = make_engine()
    try:
        request = _request(engine, f"export:{fmt}", start, end, org, network, None, as_user, None)
        progress, update = _bar(fmt)
        refused: list[str] = []
        with progress:
            rows = write_export(engine, request, fmt, output, update, refused.append)
    except (ReportError, OSError) as error:
        _fail(str(error))
    for reason in refused:
        console.print(f"[red]error:[/red] {reason}")
    console.print(f"{rows} CDRs written to {output}" + (f", {len(refused)} refused" if refused else ""))


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)
    app.add_typer(export_app, name="export")
