"""`chargeledger ocpi partner add|list|connect` and `chargeledger ocpi queue`: partners and what waits for them."""

from __future__ import annotations

import json
import os

import typer
from rich.console import Console

from ..access import audit
from ..storage.database import make_engine
from . import partners as store
from . import queue
from .overview import summaries
from .status import OcpiError

ocpi_app = typer.Typer(help="Live OCPI 2.2.1 (we are the CPO): partners, their registration and push queue.")
partner_app = typer.Typer(help="Roaming partners (eMSPs, hubs) over OCPI.")
ocpi_app.add_typer(partner_app, name="partner")
console = Console(stderr=True)
PUBLIC_URL = "CHARGELEDGER_PUBLIC_URL"


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


def public_url(given: str | None) -> str:
    """Where partners reach `chargeledger serve` (its HTTP port, or the proxy in front of it)."""
    return (given or os.environ.get(PUBLIC_URL) or "http://127.0.0.1:8000").rstrip("/")


def _audited(action: str, partner: store.Partner, **details) -> None:
    audit.record(make_engine(), audit.Actor.command_line(),
                 audit.Action(action, "ocpi_partner", str(partner.id), partner.organisation_id, details))


@partner_app.command("add")
def partner_add(name: str, org: str = typer.Option(..., help="the organisation (CPO) the partner roams with"),
                country_code: str = typer.Option(..., help="the partner's OCPI country code"),
                party_id: str = typer.Option(..., help="the partner's OCPI party id"),
                public: str = typer.Option(None, "--public-url", help=f"our HTTP base URL (else ${PUBLIC_URL}, "
                                                                      "else http://127.0.0.1:8000)"),
                our_party_id: str = typer.Option(None, help="our CPO party id (default: from our EVSE-IDs)")) -> None:
    """Invite a partner: prints our versions URL and its token A (shown once) as JSON."""
    try:
        partner, token_a = store.invite(make_engine(), org, name, country_code, party_id, None, our_party_id)
    except store.PartnerError as exc:
        _fail(str(exc))
    _audited("ocpi.partner.add", partner, name=name, party=f"{partner.country_code}*{partner.party_id}")
    typer.echo(json.dumps({"id": partner.id, "name": partner.name, "organisation": partner.organisation_id,
                           "country_code": partner.country_code, "party_id": partner.party_id,
                           "versions_url": f"{public_url(public)}/ocpi/versions", "token_a": token_a,
                           "status": partner.status}))


@partner_app.command("connect")
def partner_connect(partner_id: int, versions_url: str = typer.Option(..., help="the partner's versions URL"),
                    token_a: str = typer.Option(..., help="the token A the partner gave us"),
                    public: str = typer.Option(None, "--public-url")) -> None:
    """Register with a partner that invited us (the other direction of the exchange)."""
    from .registration import register_with
    engine = make_engine()
    try:
        partner = register_with(engine, store.get(engine, partner_id), versions_url, token_a,
                                f"{public_url(public)}/ocpi/versions")
    except (store.PartnerError, OcpiError) as exc:
        _fail(str(exc))
    _audited("ocpi.partner.connect", partner, versions_url=versions_url)
    typer.echo(json.dumps({"id": partner.id, "status": partner.status, "version": partner.version,
                           "endpoints": partner.endpoints}))


@partner_app.command("list")
def partner_list(org: str = typer.Option(None)) -> None:
    """Each partner, one JSON line: status, endpoints, its queue (pending, failed, sent), last push; a hub's
    parties with their connection status."""
    for _partner, summary in summaries(make_engine(), org):
        typer.echo(json.dumps(summary, default=lambda v: v.isoformat()))


@ocpi_app.command("queue")
def queue_list(partner: int = typer.Option(None, help="one partner's pushes"),
               state: str = typer.Option(None, help="pending, failed or sent"),
               limit: int = typer.Option(50)) -> None:
    """Pushes waiting for partners, oldest first: attempts, next attempt and the partner's last answer."""
    for row in queue.listing(make_engine(), partner, state, limit):
        typer.echo(json.dumps(row, default=str))


def register(app: typer.Typer) -> None:
    app.add_typer(ocpi_app, name="ocpi")
