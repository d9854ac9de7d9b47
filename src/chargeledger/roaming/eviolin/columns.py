"""The eViolin columns (PRODUCT.md order) and the file conventions of the samples in tests/roaming/data.

Conventions taken from the sample: comma delimiter, decimal comma in quoted numbers with 4 decimals, ISO 8601
times in UTC with +00:00, duration hh:mm:ss, ISO alpha-3 country. Charge_Point_Type/Product_Type follow the
sample's codes: 3 for an AC point, 5 for a DC fast charger; Tariff_Type 0.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from ...reports.cells import hh_mm_ss, neutralise
from ..cdr_model import alpha3, cdr_id, end_of, kwh, roaming_of, token_of

COLUMNS = [
    "CDR_ID", "Start_datetime", "End_datetime", "Duration", "Volume", "Charge_Point_Address", "Charge_Point_ZIP",
    "Charge_Point_City", "Charge_Point_Country", "Charge_Point_Type", "Product_Type", "Tariff_Type",
    "Authentication_ID", "Contract_ID", "Meter_ID", "OBIS_Code", "Charge_Point_ID", "Service_Provider_ID",
    "Infra_Provider_ID", "Calculated_Cost",
]
# each column by name, so the reader and writers never spell a column again
(CDR_ID, START, END, DURATION, VOLUME, ADDRESS, ZIP, CITY, COUNTRY, POINT_TYPE, PRODUCT_TYPE, TARIFF_TYPE,
 AUTHENTICATION_ID, CONTRACT_ID, METER_ID, OBIS_CODE, POINT_ID, PROVIDER_ID, INFRA_PROVIDER_ID, COST) = COLUMNS
AC_TYPE, DC_TYPE = "3", "5"
FOUR = Decimal("0.0001")


def decimal_comma(value: Decimal | None) -> str:
    return "" if value is None else f"{Decimal(value).quantize(FOUR):f}".replace(".", ",")


def utc_text(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00") if moment else ""


def provider_key(row) -> str | None:
    """The eMSP a CDR belongs to ('NLEFL'), or None when the session was not roamed."""
    provider = roaming_of(row).get("provider_id")
    return provider.replace("-", "").replace("*", "").upper() if provider else None


def infra_provider(row) -> str:
    operator = roaming_of(row).get("operator_id")
    if operator:
        return operator.replace("*", "").replace("-", "").upper()
    return (row.evse_id or "").replace("*", "")[:5]


def eviolin_row(row) -> list[str]:
    roaming = roaming_of(row)
    token = token_of(row)
    end = end_of(row)
    kind = DC_TYPE if row.current_type == "DC" else AC_TYPE
    values = [
        roaming.get("roaming_cdr_id") or cdr_id(row.session_id, row.settlement_version),
        utc_text(row.started_at), utc_text(end),
        hh_mm_ss(end - row.started_at) if end and row.started_at else "",
        decimal_comma(kwh(row)), row.site_address or "", row.site_zip or "", row.site_city or "",
        alpha3(row.site_country) or "", kind, kind, "0",
        token.get("id_token") or row.id_token or "", token.get("contract_id") or "", "", "",
        (row.evse_id or "").replace("*", ""), provider_key(row) or "", infra_provider(row),
        decimal_comma(row.total_cost_excl_vat),
    ]
    return [neutralise(v) for v in values]


def eviolin_row_with(row, extra: list[str]) -> list[str]:
    """The eViolin row plus an export's own columns, every cell neutralised the same way (partner-typed text)."""
    return [*eviolin_row(row), *(neutralise(v) for v in extra)]
