"""The 'full' eViolin variant: the standard columns plus the extra ones seed 003 lists, in its order."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from .columns import COLUMNS, decimal_comma, eviolin_row_with

EXTRA_COLUMNS = [
    "Time_Zone", "Local_Start_datetime", "Local_End_datetime", "Location_ID", "Location_OU_Code", "Tariff_ID",
    "Start_Tariff", "kWh_Tariff", "Time_Tariff", "Time_Charging_Hours", "Organisation_OU_Code", "Location_Name",
    "Connector_ID", "Meter_Start", "Meter_Stop",
]
FULL_COLUMNS = [*COLUMNS, *EXTRA_COLUMNS]


def _local(moment, zone: str | None) -> str:
    return moment.astimezone(ZoneInfo(zone or "UTC")).strftime("%Y-%m-%dT%H:%M:%S%z") if moment else ""


def _per_kwh(row) -> Decimal | None:
    if row.total_energy_cost_excl_vat is None or not row.total_energy_kwh:
        return None
    return Decimal(row.total_energy_cost_excl_vat) / Decimal(row.total_energy_kwh)


def full_row(row) -> list[str]:
    summary = row.summary or {}
    meter_start, meter_stop = summary.get("meter_start_wh"), summary.get("meter_stop_wh")
    extra = [
        row.site_time_zone or "", _local(row.started_at, row.site_time_zone),
        _local(row.stopped_at, row.site_time_zone), row.site_id or "", row.site_ou_code or "",
        row.tariff_id or "", decimal_comma(row.total_fixed_cost_excl_vat), decimal_comma(_per_kwh(row)),
        decimal_comma(row.total_time_cost_excl_vat), decimal_comma(row.total_time_hours),
        row.organisation_ou_code or "", row.site_name or "", str(row.connector_id or ""),
        decimal_comma(Decimal(str(meter_start)) / 1000) if meter_start is not None else "",
        decimal_comma(Decimal(str(meter_stop)) / 1000) if meter_stop is not None else "",
    ]
    return eviolin_row_with(row, extra)
