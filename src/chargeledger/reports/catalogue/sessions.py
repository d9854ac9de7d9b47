"""Seed 001: the charging-session report (charger, initiator, identity, plug vs charge duration, cost, bill)."""

from __future__ import annotations

from ...access.rights import Right
from ..columns import Column, Kind, Report, duration, identity, kilowatt_hours, roaming, summary


def free_vend(row) -> bool:
    """The session was taken free: a fact of the session (its payment), never the station's setting today."""
    return row.payment_method == "free"


def _initiator(row, _ctx):
    # Blank for a free-vend session, as the seed says; roaming partners by their eMSP ID, our own by our name.
    if free_vend(row):
        return None
    partner = roaming(row)
    if partner:
        return partner.get("provider_id") or row.network
    return row.organisation_name


def _identity(row, _ctx):
    who = identity(row)
    return who.get("id_token") or who.get("contract_id") or who.get("shared_id") or row.id_token


def _start(row, ctx):
    moment = row.created_at if row.created_at and row.started_at and row.created_at < row.started_at \
        else row.started_at
    return moment.astimezone(ctx.time_zone) if moment else None


def _bill(row, _ctx):
    # Only a station with a billing profile gets a bill object (seed 001); a simple price yields none.
    return row.bill_details if row.billing_profile and row.bill_details else None


COLUMNS = [
    Column("Name", Kind.TEXT, lambda r, c: r.station_name),
    Column("Sticker", Kind.TEXT, lambda r, c: r.sticker_id),
    Column("Serial", Kind.TEXT, lambda r, c: r.serial_number),
    Column("Initiator", Kind.TEXT, _initiator),
    Column("Identity", Kind.TEXT, _identity),
    Column("Start", Kind.DATETIME, _start, time_format="%Y-%m-%d %H:%M:%S%z"),  # with its offset: the zone shown
    Column("Plug Duration", Kind.DURATION, lambda r, c: duration(summary(r).get("plug_seconds"))),
    Column("Charge Duration", Kind.DURATION, lambda r, c: duration(summary(r).get("charging_seconds"))),
    Column("Energy", Kind.DECIMAL, lambda r, c: kilowatt_hours(r.energy_wh), places=3),
    Column("Cost", Kind.MONEY, lambda r, c: r.payment_total, currency=lambda r: r.price_currency),
    # the bill object holds cost, margin and revenue: only for the finance right, left out otherwise (as the
    # statement's revenue columns are)
    Column("Bill Details", Kind.JSON, _bill, right=Right.FINANCE),
]

REPORT = Report(
    name="sessions", title="Charging sessions", rights=(Right.REPORTS,),
    columns=lambda conn, request: COLUMNS, where=lambda request: _network(request),
    note="Times in the viewer's time zone. Energy in kWh; Cost is what the driver pays (payment total). "
         "Bill Details only for the finance right.",
)


def _network(request) -> list:
    from ...storage.tables import sessions
    return [sessions.c.network == request.network] if request.network else []
