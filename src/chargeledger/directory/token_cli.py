"""`chargeledger token add/block/list/import`: the token book from the command line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console

console = Console(stderr=True)


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


def _expiry(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        _fail(f"--expires {value!r} is not an ISO 8601 time such as 2025-01-01T00:00:00Z")
    if moment.tzinfo is None:
        _fail("--expires needs a time zone offset, for example 2025-01-01T00:00:00Z")
    return moment


def _audited(action: str, uid: str, org: str, **details) -> None:
    from ..access import audit
    from ..storage.database import make_engine
    audit.record(make_engine(), audit.Actor.command_line(), audit.Action(action, "token", uid, org, details))


def register(app: typer.Typer) -> None:
    from . import tokens as book
    from ..storage.database import make_engine

    token_app = typer.Typer(help="Id tokens (RFID UIDs, contract ids) of an organisation: the token book.",
                            no_args_is_help=True)
    app.add_typer(token_app, name="token")

    @token_app.command("add")
    def token_add(uid: str, org: str = typer.Option(...),
                  status: str = typer.Option("Accepted", help="Accepted, Blocked, Expired or Invalid"),
                  expires: str = typer.Option(None, help="expiry, ISO 8601 with offset"),
                  group: str = typer.Option(None, help="group id (OCPP parentIdTag)"),
                  driver: str = typer.Option(None), team: str = typer.Option(None),
                  contract: str = typer.Option(None), token_type: str = typer.Option("ISO14443", "--type"),
                  roaming: bool = typer.Option(False, "--roaming")) -> None:
        """Add a token; its uid is compared without regard to case."""
        entry = book.TokenEntry(uid, status, _expiry(expires), group, driver, team, contract, token_type, roaming)
        try:
            stored = book.add(make_engine(), org, entry)
        except book.TokenError as exc:
            _fail(str(exc))
        _audited("token.add", stored["uid"], org, status=stored["status"])
        console.print(f"token {stored['uid']} added to {org} ({stored['status']})")

    @token_app.command("block")
    def token_block(uid: str, org: str = typer.Option(...)) -> None:
        """Block a token (a lost or stolen card): chargers are told Blocked from now on."""
        try:
            stored = book.block(make_engine(), org, uid)
        except book.TokenError as exc:
            _fail(str(exc))
        _audited("token.block", stored["uid"], org)
        console.print(f"token {stored['uid']} of {org} is blocked")

    @token_app.command("list")
    def token_list(org: str = typer.Option(...), status: str = typer.Option(None),
                   as_json: bool = typer.Option(False, "--json")) -> None:
        """The tokens of an organisation, one a line (uid, status, expiry, group, owner)."""
        rows = book.listing(make_engine(), [org], status, limit=1_000_000)
        if as_json:
            typer.echo(json.dumps(rows, default=str, indent=1))
            return
        for row in rows:
            owner = row["driver_id"] or row["team_id"] or ""
            expiry = row["expires_at"].isoformat() if row["expires_at"] else ""
            typer.echo("\t".join([row["uid"], row["status"], expiry, row["group_id"] or "", owner]))

    @token_app.command("import")
    def token_import(file: Path, org: str = typer.Option(...)) -> None:
        """Add or update tokens from a CSV file with a header: uid and any of status, expires_at, group_id,
        driver_id, team_id, contract_id, token_type. One bad row refuses the whole file."""
        try:
            text = file.read_text(encoding="utf-8-sig")
        except OSError as exc:
            _fail(f"cannot read {file}: {exc.strerror}")
        try:
            counts = book.import_csv(make_engine(), org, text)
        except book.TokenError as exc:
            _fail(str(exc))
        _audited("token.import", org, org, file=file.name, **counts)
        console.print(f"{counts['added']} tokens added, {counts['updated']} updated in {org}")
