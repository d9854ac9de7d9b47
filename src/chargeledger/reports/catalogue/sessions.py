"""Seed 001: the charging-session report (charger, initiator, identity, plug vs charge duration, cost, bill)."""

from __future__ import annotations

from ...access.rights import Right
from ..cell_sql import literal, local_time
from ..columns import Column, Kind, Report, as_is, json_field

# The session was taken free: a fact of the session (its payment), never the station's setting today.
FREE_VEND = "coalesce(payment_method = 'free', false)"
# a roaming partner's session: its summary names the partner (a non-empty "roaming" object)
_ROAMED = ("coalesce(json_type(summary, '$.roaming') = 'OBJECT' AND "
           "CAST(json_extract(summary, '$.roaming') AS VARCHAR) <> '{}', false)")


def _whole_seconds(key: str) -> str:
    return f"cl_hms(CAST(round_even(CAST(json_extract_string(summary, '$.{key}') AS DOUBLE), 0) AS BIGINT))"


COLUMNS = [
    as_is("Name", Kind.TEXT, "station_name"),
    as_is("Sticker", Kind.TEXT, "sticker_id"),
    as_is("Serial", Kind.TEXT, "serial_number"),
    # Blank for a free-vend session, as the seed says; roaming partners by their eMSP ID, our own by our name.
    Column("Initiator", Kind.TEXT, f"cl_text(CASE WHEN {FREE_VEND} THEN NULL WHEN {_ROAMED} THEN coalesce("
                                   f"{json_field('roaming.provider_id')}, network) ELSE organisation_name END)"),
    Column("Identity", Kind.TEXT, f"cl_text(coalesce({json_field('identity.id_token')}, "
                                  f"{json_field('identity.contract_id')}, {json_field('identity.shared_id')}, "
                                  "id_token))"),
    # with its offset: the zone shown; a session created before it started (a reservation) starts at creation
    Column("Start", Kind.DATETIME, lambda scope: local_time(
        "CASE WHEN created_at < started_at THEN created_at ELSE started_at END",
        literal(scope.context.time_zone.key), "%Y-%m-%d %H:%M:%S%z"), time_format="%Y-%m-%d %H:%M:%S%z"),
    Column("Plug Duration", Kind.DURATION, _whole_seconds("plug_seconds")),
    Column("Charge Duration", Kind.DURATION, _whole_seconds("charging_seconds")),
    Column("Energy", Kind.DECIMAL, "cl_kwh(energy_wh)", places=3),
    as_is("Cost", Kind.MONEY, "payment_total", currency="price_currency"),
    # the bill object holds cost, margin and revenue: only for the finance right, left out otherwise (as the
    # statement's revenue columns are); only a station with a billing profile gets one (seed 001)
    Column("Bill Details", Kind.JSON, "CASE WHEN cl_json(billing_profile) IS NOT NULL THEN cl_json(bill_details) END",
           right=Right.FINANCE),
]


REPORT = Report(
    name="sessions", title="Charging sessions", rights=(Right.REPORTS,),
    columns=lambda conn, request: COLUMNS,
    note="Times in the viewer's time zone. Energy in kWh; Cost is what the driver pays (payment total). "
         "Bill Details only for the finance right.",
)
