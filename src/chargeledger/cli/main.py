"""The `chargeledger` command. Sub-commands of other adapters register themselves through `_optional`."""

from __future__ import annotations

import os
import secrets
from decimal import Decimal, InvalidOperation

import typer
from sqlalchemy import select
from rich.console import Console

from ..access import accounts, audit
from ..adapters import installed
from ..directory import registry
from ..domain.evse_id import InvalidEvseId
from ..domain.network import Connector, ConnectorStandard, CurrentType, Evse, OcppVersion, Organisation, Site, Station
from ..settings import CONFIG_ENV, mask_url
from ..storage.database import database_url, make_engine, upgrade

app = typer.Typer(help="ChargeLedger: back office for EV charge point operators.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.")
org_app = typer.Typer(help="Organisations.")
site_app = typer.Typer(help="Sites (locations).")
station_app = typer.Typer(help="Stations (charge points) with their EVSEs and connectors.")
user_app = typer.Typer(help="Users and rights.")
apikey_app = typer.Typer(help="API keys.")
for sub, name in ((db_app, "db"), (org_app, "org"), (site_app, "site"), (station_app, "station"),
                  (user_app, "user"), (apikey_app, "apikey")):
    app.add_typer(sub, name=name)

console = Console(stderr=True)


@app.callback()
def main(config: str = typer.Option(None, "--config", metavar="FILE", envvar=CONFIG_ENV,
                                    help="TOML settings file; CHARGELEDGER_* variables override it")) -> None:
    if config:
        os.environ[CONFIG_ENV] = config  # read by Settings() in this process and the processes it starts


def fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


def engine():
    return make_engine()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest revision."""
    upgrade(engine())
    console.print(f"database at {mask_url(database_url())} is up to date")


@org_app.command("add")
def org_add(org_id: str, name: str = typer.Option(...), country: str = typer.Option(...),
            currency: str = typer.Option(...), private: bool = typer.Option(False, "--private"),
            vat_number: str = typer.Option(None), ou_code: str = typer.Option(None)) -> None:
    try:
        registry.add_organisation(engine(), Organisation(org_id, name, country.upper(), currency.upper(),
                                                         not private, vat_number, ou_code))
    except registry.RegistryError as exc:
        fail(str(exc))
    console.print(f"organisation {org_id} added")


@site_app.command("add")
def site_add(site_id: str, org: str = typer.Option(...), name: str = typer.Option(...),
             country: str = typer.Option(...), time_zone: str = typer.Option(..., "--timezone"),
             address: str = typer.Option(""), zip_code: str = typer.Option("", "--zip"), city: str = typer.Option(""),
             state: str = typer.Option(None), ou_code: str = typer.Option(None)) -> None:
    try:
        registry.add_site(engine(), Site(site_id, org, name, address, zip_code, city, country.upper(), time_zone,
                                         state, ou_code=ou_code))
    except registry.RegistryError as exc:
        fail(str(exc))
    console.print(f"site {site_id} added")


@station_app.command("add")
def station_add(
    station_id: str, org: str = typer.Option(...), site: str = typer.Option(...),
    name: str = typer.Option(None), evse: list[str] = typer.Option(
        [], help="EVSE-ID, repeatable; each EVSE gets the next OCPP connector number"),
    connector: str = typer.Option("Type 2:AC:22", help="standard:AC|DC:kW for every EVSE"),
    password: str = typer.Option(None, help="HTTP Basic password, at least 16 bytes (OCPP security profile 1); "
                                            "generated and printed once when not given"),
    unsecured: bool = typer.Option(False, "--unsecured", help="let it connect WITHOUT credentials (not advised)"),
    ocpp: str = typer.Option("1.6", help="1.6 or 2.0.1"), serial: str = typer.Option(None),
    sticker: str = typer.Option(None), vendor: str = typer.Option(None), model: str = typer.Option(None),
    free_usage: bool = typer.Option(False, "--free-usage"),
) -> None:
    try:
        standard, current, kw = connector.split(":")
        plug = Connector(1, ConnectorStandard(standard), CurrentType(current.upper()), Decimal(kw),
                         3 if current.upper() == "AC" else 0)
        evses = tuple(Evse(e, n, (plug,)) for n, e in enumerate(evse, start=1))
        station = Station(station_id, org, site, name or station_id, serial, sticker, vendor, model,
                          free_usage=free_usage, ocpp_version=OcppVersion(ocpp), evses=evses)
        generated = None if password or unsecured else secrets.token_urlsafe(24)
        registry.add_station(engine(), station, password=password or generated, unsecured=unsecured)
    except (ValueError, InvalidOperation, InvalidEvseId, registry.RegistryError) as exc:
        fail(str(exc) or f"--connector {connector!r} is not standard:AC|DC:kW")
    console.print(f"station {station_id} added with {len(evse)} EVSE(s)")
    audited("station.add", "station", station_id, org, unsecured=unsecured, evses=list(evse))
    _say_credentials(station_id, generated, unsecured)


@station_app.command("password")
def station_password(station_id: str,
                     password: str = typer.Option(None, help="the new password (at least 16 bytes); generated "
                                                             "and printed once when not given"),
                     unsecured: bool = typer.Option(False, "--unsecured",
                                                    help="remove the password: connects WITHOUT credentials")) -> None:
    """Give a station a new password (its old one stops working), or mark it unsecured."""
    generated = None if password or unsecured else secrets.token_urlsafe(24)
    try:
        registry.set_station_password(engine(), station_id, None if unsecured else password or generated, unsecured)
    except registry.RegistryError as exc:
        fail(str(exc))
    audited("station.credentials", "station", station_id, _station_organisation(station_id), unsecured=unsecured)
    _say_credentials(station_id, generated, unsecured)


@station_app.command("registration")
def station_registration(station_id: str,
                         status: str = typer.Argument(..., help="Accepted, Pending or Rejected")) -> None:
    """Approve (Accepted), hold (Pending) or refuse (Rejected) a station: its next BootNotification hears it."""
    from ..ocpp.stations import set_registration
    try:
        found = set_registration(engine(), station_id, status)
    except ValueError as exc:
        fail(str(exc))
    if not found:
        fail(f"no station {station_id}")
    audited("station.registration", "station", station_id, _station_organisation(station_id), status=status)
    console.print(f"station {station_id} is {status}")


def _say_credentials(station_id: str, generated: str | None, unsecured: bool) -> None:
    if unsecured:
        console.print(f"[bold red]warning:[/] station {station_id} connects without credentials: anyone who knows "
                      "its id can act as it")
    elif generated:
        console.print(f"OCPP password of {station_id} (shown once, stored hashed): {generated}")
        console.print(f"set it on the charger: HTTP Basic user {station_id}, security profile 1 (or 2 over TLS)")


@user_app.command("add")
def user_add(email: str, org: list[str] = typer.Option(..., help="organisation ID, repeatable"),
             right: list[str] = typer.Option([], help="admin, stations, reports, finance, support; repeatable"),
             password: str = typer.Option(None), time_zone: str = typer.Option("UTC", "--timezone"),
             locale: str = typer.Option(None, help="how amounts are shown to them, e.g. de_DE; default: their "
                                                   "browser's language")) -> None:
    try:
        accounts.add_user(engine(), email, org, right, password, time_zone, locale)
    except (ValueError, accounts.AccountError) as exc:
        fail(str(exc))
    for organisation in org:
        audited("user.add", "user", email, organisation, rights=list(right))
    console.print(f"user {email} added")


@apikey_app.command("create")
def apikey_create(email: str) -> None:
    """Print a new API key for EMAIL (send it as `Authorization: Bearer KEY`)."""
    try:
        key = accounts.create_key(engine(), email)
    except accounts.AccountError as exc:
        fail(str(exc))
    for organisation in _user_organisations(email):
        audited("apikey.create", "user", email, organisation)  # the key itself is shown once and never stored
    typer.echo(key)


def audited(action: str, target_kind: str, target_id: str, organisation: str | None, **details) -> None:
    """A command-line change in the audit trail, under the system user who ran it."""
    audit.record(engine(), audit.Actor.command_line(), audit.Action(action, target_kind, target_id, organisation,
                                                                    details))


def _station_organisation(station_id: str) -> str | None:
    from ..storage.tables import stations
    with engine().connect() as conn:
        return conn.execute(select(stations.c.organisation_id).where(stations.c.id == station_id)).scalar()


def _user_organisations(email: str) -> list[str]:
    from ..storage.tables import user_organisations, users
    with engine().connect() as conn:
        return list(conn.execute(select(user_organisations.c.organisation_id).join(
            users, users.c.id == user_organisations.c.user_id).where(users.c.email == email)).scalars())


def _optional() -> None:
    """Sub-commands owned by other adapters: each module exposes register(app)."""
    for module in installed(("chargeledger.cli.serve", "chargeledger.cli.worker", "chargeledger.cli.config", "chargeledger.importing.cli",
                             "chargeledger.demo.cli", "chargeledger.pricing.cli_price", "chargeledger.tariffs.cli",
                             "chargeledger.ocpp.cli", "chargeledger.reports.cli", "chargeledger.ocpi.cli",
                             "chargeledger.directory.token_cli", "chargeledger.pki.cli")):
        module.register(app)


_optional()
