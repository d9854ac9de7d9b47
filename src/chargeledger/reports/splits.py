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
from .cdr_source import cdr_query, cdr_rows
from .source import count

CENT = Decimal("0.01")
REIMBURSEMENT_COLUMNS = [*COLUMNS, "Reimbursement_Rate", "Reimbursement_Amount", "Currency", "Payee",
                         "Payee_Account"]
DISTRIBUTION_COLUMNS = [*COLUMNS, "Revenue_Excl_VAT", "Currency", "Site_Owner", "Owner_Percentage",
                        "Owner_Per_kWh", "Owner_Share", "Operator_Share"]


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


def _write(conn, request, target: Path, columns, agreements, extra, progress) -> int:
    done = 0
    total = count(conn, cdr_query(request)) if progress else 0
    with open(target, "w", encoding="utf-8-sig", newline="") as handle:  # with a BOM, for Excel (csv_file.BOM)
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(columns)
        for row in cdr_rows(conn, request):
            agreement = _valid(agreements, row)
            if agreement is None:
                continue
            writer.writerow(eviolin_row_with(row, extra(row, agreement)))
            done += 1
            if progress and done % 1000 == 0:
                progress(done, total)
    if progress:
        progress(done, total)
    return done


def reimbursement_amount(energy_kwh: Decimal, rate: Decimal) -> Decimal:
    return (energy_kwh * rate).quantize(CENT, ROUND_HALF_UP)


def _reimbursement(row, agreement) -> list[str]:
    rate = Decimal(agreement.rate_per_kwh)
    account = agreement.payee_account or ""
    return [decimal_comma(rate), decimal_comma(reimbursement_amount(kwh(row), rate)), agreement.currency,
            agreement.payee, f"…{account[-5:]}" if account else "-"]


def owner_share(revenue: Decimal, energy_kwh: Decimal, percentage: Decimal, per_kwh: Decimal) -> Decimal:
    return (revenue * percentage / 100 + energy_kwh * per_kwh).quantize(CENT, ROUND_HALF_UP)


def _distribution(row, share) -> list[str]:
    revenue = Decimal(row.total_cost_excl_vat or 0)
    owner = owner_share(revenue, kwh(row), Decimal(share.owner_percentage), Decimal(share.owner_per_kwh))
    return [decimal_comma(revenue), row.price_currency, share.site_owner, decimal_comma(share.owner_percentage),
            decimal_comma(share.owner_per_kwh), decimal_comma(owner), decimal_comma(revenue - owner)]


def reimbursement_export(conn, request, target: Path, progress) -> int:
    return _write(conn, request, target, REIMBURSEMENT_COLUMNS,
                  _agreements(conn, reimbursement_agreements, request), _reimbursement, progress)


def tariff_distribution_export(conn, request, target: Path, progress) -> int:
    return _write(conn, request, target, DISTRIBUTION_COLUMNS, _agreements(conn, revenue_shares, request),
                  _distribution, progress)
