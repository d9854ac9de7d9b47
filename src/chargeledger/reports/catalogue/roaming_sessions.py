"""Seed 000: sessions started on the operator's stations by customers of Hubject, Girève or OCPI partners."""

from __future__ import annotations

from ...access.rights import Right
from ...storage.tables import sessions
from ..cell_sql import local_time
from ..columns import Column, Kind, Report, as_is, json_field
from ..request import ROAMING_NETWORKS
from .sessions import FREE_VEND


# A station-facing report: times in the site's zone, written with their offset so the zone is explicit.
_SITE_ZONE = "coalesce(nullif(site_time_zone, ''), 'UTC')"
_TIME = "%Y-%m-%dT%H:%M:%S%z"


def _site_time(name: str, attr: str) -> Column:
    return Column(name, Kind.DATETIME, local_time(attr, _SITE_ZONE, _TIME), time_format=_TIME)


def _meter(key: str) -> str:
    return f"CAST(round_even(CAST({json_field(key)} AS DECIMAL(38, 10)), 0) AS BIGINT)"


_CURRENCY = "organisation_currency"

COLUMNS = [
    Column("Month", Kind.TEXT, local_time("started_at", _SITE_ZONE, "%Y-%m")),
    as_is("Network", Kind.TEXT, "network"),
    Column("CDR ID", Kind.TEXT, f"cl_text(coalesce({json_field('roaming.roaming_cdr_id')}, "
                                "CASE WHEN settlement_id IS NOT NULL THEN 'CL' || session_id END))"),
    as_is("Station ID", Kind.TEXT, "station_id"),
    as_is("EVSE-ID", Kind.TEXT, "evse_id"),
    as_is("Station name", Kind.TEXT, "station_name"),
    _site_time("Start time", "started_at"),
    _site_time("Stop time", "stopped_at"),
    Column("Energy (Wh)", Kind.INTEGER, "CAST(CAST(round_even(energy_wh, 0) AS BIGINT) AS VARCHAR)"),
    Column("Meter start", Kind.INTEGER, _meter("meter_start_wh")),
    Column("Meter stop", Kind.INTEGER, _meter("meter_stop_wh")),
    # The invoice's amounts, as the statement's Payment Total and Total Tax (one rounding rule for every report,
    # docs/reports.md): the CDR's unrounded 4-decimal totals are the CDR exports' (OCPI, eViolin), not a report's
    as_is("Price", Kind.MONEY, "payment_total", currency=_CURRENCY),
    as_is("Currency", Kind.TEXT, "organisation_currency"),
    Column("Public/Private", Kind.TEXT, "CASE WHEN organisation_public THEN 'Public' ELSE 'Private' END"),
    Column("Free usage", Kind.TEXT, f"CASE WHEN {FREE_VEND} THEN 'Yes' ELSE 'No' END"),
    as_is("Plug type", Kind.TEXT, "current_type"),
    Column("Charge method", Kind.TEXT, f"cl_text(lower(coalesce({json_field('start_source_raw')}, "
                                       f"{json_field('start_source')})))"),
    Column("Operator", Kind.TEXT, f"cl_text({json_field('roaming.operator_id')})"),
    Column("Provider ID", Kind.TEXT, f"cl_text({json_field('roaming.provider_id')})"),
    Column("Transaction ID", Kind.TEXT, f"CASE WHEN status IS DISTINCT FROM 'Failed' THEN cl_text(coalesce("
                                        f"{json_field('roaming.partner_transaction_id')}, transaction_id)) END"),
    Column("Duration", Kind.DURATION, lambda scope: f"cl_hms({scope.seconds('started_at', 'stopped_at')})"),
    # settlements store the rate as a percentage already (21 for 21 %)
    as_is("VAT rate", Kind.PERCENT, "vat_rate"),
    as_is("VAT amount", Kind.MONEY, "total_tax", currency=_CURRENCY),
]

REPORT = Report(
    name="roaming-sessions", title="Roaming sessions (CPO view)", rights=(Right.REPORTS, Right.STATIONS),
    columns=lambda conn, request: COLUMNS, where=lambda request: [sessions.c.network.in_(ROAMING_NETWORKS)],
    time_zone_of="site",
    note="Times in the station's time zone, with offset. 'Free usage': the session was taken free (its payment).",
)
