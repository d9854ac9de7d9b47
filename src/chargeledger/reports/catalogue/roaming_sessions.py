"""Seed 000: sessions started on the operator's stations by customers of Hubject, Girève or OCPI partners."""

from __future__ import annotations

from decimal import Decimal

from ...access.rights import Right
from ...storage.tables import sessions
from ..columns import Column, Kind, Report, between, roaming, summary
from ..request import ROAMING_NETWORKS
from .sessions import free_vend


def _where(request) -> list:
    networks = (request.network,) if request.network else ROAMING_NETWORKS
    return [sessions.c.network.in_(networks)]


def _local(row, ctx, moment):
    # A station-facing report: times in the site's zone, written with their offset so the zone is explicit.
    from zoneinfo import ZoneInfo
    return moment.astimezone(ZoneInfo(row.site_time_zone or "UTC")) if moment else None


def _cdr_id(row, _ctx):
    return roaming(row).get("roaming_cdr_id") or (f"CL{row.session_id}" if row.settlement_id else None)




def _vat_rate(row, _ctx):
    return row.vat_rate  # settlements store the rate as a percentage already (21 for 21 %)


def _transaction_id(row, _ctx):
    if row.status == "Failed":
        return None
    return roaming(row).get("partner_transaction_id") or row.transaction_id


def _charge_method(row, _ctx):
    data = summary(row)
    return (data.get("start_source_raw") or data.get("start_source") or "").lower() or None


def _currency(row):
    return row.organisation_currency


_TIME = dict(time_format="%Y-%m-%dT%H:%M:%S%z", excel_format="yyyy-mm-dd hh:mm:ss")

COLUMNS = [
    Column("Month", Kind.TEXT, lambda r, c: _local(r, c, r.started_at).strftime("%Y-%m") if r.started_at else None),
    Column("Network", Kind.TEXT, lambda r, c: r.network),
    Column("CDR ID", Kind.TEXT, _cdr_id),
    Column("Station ID", Kind.TEXT, lambda r, c: r.station_id),
    Column("EVSE-ID", Kind.TEXT, lambda r, c: r.evse_id),
    Column("Station name", Kind.TEXT, lambda r, c: r.station_name),
    Column("Start time", Kind.DATETIME, lambda r, c: _local(r, c, r.started_at), **_TIME),
    Column("Stop time", Kind.DATETIME, lambda r, c: _local(r, c, r.stopped_at), **_TIME),
    Column("Energy (Wh)", Kind.INTEGER, lambda r, c: round(r.energy_wh) if r.energy_wh is not None else None),
    Column("Meter start", Kind.INTEGER, lambda r, c: _int(summary(r).get("meter_start_wh"))),
    Column("Meter stop", Kind.INTEGER, lambda r, c: _int(summary(r).get("meter_stop_wh"))),
    # The invoice's amounts, as the statement's Payment Total and Total Tax (one rounding rule for every report,
    # docs/reports.md): the CDR's unrounded 4-decimal totals are the CDR exports' (OCPI, eViolin), not a report's
    Column("Price", Kind.MONEY, lambda r, c: r.payment_total, currency=_currency, field="payment_total"),
    Column("Currency", Kind.TEXT, lambda r, c: r.organisation_currency),
    Column("Public/Private", Kind.TEXT, lambda r, c: "Public" if r.organisation_public else "Private"),
    Column("Free usage", Kind.TEXT, lambda r, c: "Yes" if free_vend(r) else "No"),
    Column("Plug type", Kind.TEXT, lambda r, c: r.current_type),
    Column("Charge method", Kind.TEXT, _charge_method),
    Column("Operator", Kind.TEXT, lambda r, c: roaming(r).get("operator_id")),
    Column("Provider ID", Kind.TEXT, lambda r, c: roaming(r).get("provider_id")),
    Column("Transaction ID", Kind.TEXT, _transaction_id),
    Column("Duration", Kind.DURATION, lambda r, c: between(r.started_at, r.stopped_at)),
    Column("VAT rate", Kind.PERCENT, _vat_rate, field="vat_rate"),
    Column("VAT amount", Kind.MONEY, lambda r, c: r.total_tax, currency=_currency, field="total_tax"),
]


def _int(value) -> int | None:
    return round(Decimal(str(value))) if value is not None else None


REPORT = Report(
    name="roaming-sessions", title="Roaming sessions (CPO view)", rights=(Right.REPORTS, Right.STATIONS),
    columns=lambda conn, request: COLUMNS, where=_where, time_zone_of="site",
    note="Times in the station's time zone, with offset. 'Free usage': the session was taken free (its payment).",
)
