"""Who gets the money of a CDR: an employer's reimbursement to a payee, or the operator/site-owner revenue split.

Both are the eViolin row plus the split's own columns; agreements live in reimbursement_agreements and
revenue_shares (docs/reports.md), the one valid at the session's start applies.
"""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from sqlalchemy import select

from ..roaming.cdr_model import kwh
from ..roaming.eviolin.columns import COLUMNS, decimal_comma, eviolin_row_with
from ..storage.tables import reimbursement_agreements, revenue_shares, stations
from .cdr_source import cdr_rows

CENT = Decimal("0.01")


def _agreements(conn, table, request) -> dict[str, list]:
    rows = conn.execute(select(table).join(stations, stations.c.id == table.c.station_id)
                        .where(stations.c.organisation_id.in_(request.organisation_ids)))
    found: dict[str, list] = {}
    for row in rows:
        found.setdefault(row.station_id, []).append(row)
    return found


def _valid(agreements: dict[str, list], row):
    for agreement in agreements.get(row.station_id, ()):
        if (agreement.valid_from is None or agreement.valid_from <= row.started_at) and \
                (agreement.valid_to is None or row.started_at < agreement.valid_to):
            return agreement
    return None


def _reimbursement(row, agreement) -> list[str]:
    rate = Decimal(agreement.rate_per_kwh)
    account = agreement.payee_account or ""
    return [decimal_comma(rate), decimal_comma((kwh(row) * rate).quantize(CENT, ROUND_HALF_UP)), agreement.currency,
            agreement.payee, f"…{account[-5:]}" if account else "-"]


def _distribution(row, share) -> list[str]:
    revenue = Decimal(row.total_cost_excl_vat or 0)
    percentage, per_kwh = Decimal(share.owner_percentage), Decimal(share.owner_per_kwh)
    owner = (revenue * percentage / 100 + kwh(row) * per_kwh).quantize(CENT, ROUND_HALF_UP)
    return [decimal_comma(revenue), row.price_currency, share.site_owner, decimal_comma(share.owner_percentage),
            decimal_comma(share.owner_per_kwh), decimal_comma(owner), decimal_comma(revenue - owner)]


# each split: its columns after the eViolin row's, the table of its agreements, its own cells
SPLITS = {
    "reimbursement": (["Reimbursement_Rate", "Reimbursement_Amount", "Currency", "Payee", "Payee_Account"],
                      reimbursement_agreements, _reimbursement),
    "tariff-distribution": (["Revenue_Excl_VAT", "Currency", "Site_Owner", "Owner_Percentage", "Owner_Per_kWh",
                             "Owner_Share", "Operator_Share"], revenue_shares, _distribution),
}


def split_export(conn, request, target: Path, progress, name: str) -> int:
    """The CDRs an agreement valid at the session's start covers, each with the split's cells."""
    columns, table, cells = SPLITS[name]
    agreements = _agreements(conn, table, request)
    done = 0
    with open(target, "w", encoding="utf-8-sig", newline="") as handle:  # with a BOM, for Excel (csv_file.BOM)
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([*COLUMNS, *columns])
        for row in cdr_rows(conn, request, progress):
            agreement = _valid(agreements, row)
            if agreement is not None:
                writer.writerow(eviolin_row_with(row, cells(row, agreement)))
                done += 1
    return done
