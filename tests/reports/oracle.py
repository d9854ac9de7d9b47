"""The test oracle: every report rendered the plain Python way, to hold the engine (reports/pipeline.py) to it.

SQLAlchemy rows of the one joined query, each column's value computed by a Python function of the row (below, by
the seed's column name; these were the production formatter before the reports became one DuckDB pipeline),
then each value's text by its kind. Never used by the application.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from chargeledger.domain.impact import co2_saved_kg
from chargeledger.reports.catalogue import REPORTS
from chargeledger.reports.catalogue.payment_moves import moves
from chargeledger.reports.catalogue.statement import payout_by_organisation, tax_key
from chargeledger.reports.cells import hh_mm_ss, neutralise
from chargeledger.reports.columns import Kind
from chargeledger.reports.pipeline import visible_columns
from chargeledger.reports.source import joined_rows, report_query
from chargeledger.storage.tables import sessions

CENT = Decimal("0.01")
FOUR = Decimal("0.0001")


# ---- values -------------------------------------------------------------------------------------------------------

def duration(seconds):
    return timedelta(seconds=round(seconds)) if seconds is not None else None


def between(start, end):
    if start is None or end is None:
        return None
    return timedelta(seconds=round((end - start).total_seconds()))


def minutes(value):
    return None if value is None else (Decimal(int(value.total_seconds())) / 60).quantize(CENT)


def kilowatt_hours(energy_wh):
    """Wh as kWh with three decimals, from the float's shortest text so no binary noise shows."""
    if energy_wh is None:
        return None
    return (Decimal(str(energy_wh)) / 1000).quantize(Decimal("0.001"))


def summary(row) -> dict:
    return (json.loads(row.summary) if isinstance(row.summary, str) else row.summary) or {}


def roaming(row) -> dict:
    return summary(row).get("roaming") or {}


def in_zone(moment, zone):
    return moment.astimezone(zone) if moment else None


def free_vend(row) -> bool:
    return row.payment_method == "free"


def _initiator(r, c):
    if free_vend(r):
        return None
    partner = roaming(r)
    if partner:
        return partner.get("provider_id") or r.network
    return r.organisation_name


def _identity(r, c):
    who = summary(r).get("identity") or {}
    return who.get("id_token") or who.get("contract_id") or who.get("shared_id") or r.id_token


def _start(r, c):
    moment = r.created_at if r.created_at and r.started_at and r.created_at < r.started_at else r.started_at
    return in_zone(moment, c["zone"])


SESSIONS = {
    "Name": lambda r, c: r.station_name, "Sticker": lambda r, c: r.sticker_id, "Serial": lambda r, c: r.serial_number,
    "Initiator": _initiator, "Identity": _identity, "Start": _start,
    "Plug Duration": lambda r, c: duration(summary(r).get("plug_seconds")),
    "Charge Duration": lambda r, c: duration(summary(r).get("charging_seconds")),
    "Energy": lambda r, c: kilowatt_hours(r.energy_wh), "Cost": lambda r, c: r.payment_total,
    "Bill Details": lambda r, c: r.bill_details if r.billing_profile and r.bill_details else None,
}


def _site(r, moment):
    return moment.astimezone(ZoneInfo(r.site_time_zone or "UTC")) if moment else None


def _meter(value):
    return round(Decimal(str(value))) if value is not None else None


ROAMING = {
    "Month": lambda r, c: _site(r, r.started_at).strftime("%Y-%m") if r.started_at else None,
    "Network": lambda r, c: r.network,
    "CDR ID": lambda r, c: roaming(r).get("roaming_cdr_id") or (f"CL{r.session_id}" if r.settlement_id else None),
    "Station ID": lambda r, c: r.station_id, "EVSE-ID": lambda r, c: r.evse_id,
    "Station name": lambda r, c: r.station_name,
    "Start time": lambda r, c: _site(r, r.started_at), "Stop time": lambda r, c: _site(r, r.stopped_at),
    "Energy (Wh)": lambda r, c: round(r.energy_wh) if r.energy_wh is not None else None,
    "Meter start": lambda r, c: _meter(summary(r).get("meter_start_wh")),
    "Meter stop": lambda r, c: _meter(summary(r).get("meter_stop_wh")),
    "Price": lambda r, c: r.payment_total, "Currency": lambda r, c: r.organisation_currency,
    "Public/Private": lambda r, c: "Public" if r.organisation_public else "Private",
    "Free usage": lambda r, c: "Yes" if free_vend(r) else "No", "Plug type": lambda r, c: r.current_type,
    "Charge method": lambda r, c: (summary(r).get("start_source_raw") or summary(r).get("start_source")
                                   or "").lower() or None,
    "Operator": lambda r, c: roaming(r).get("operator_id"), "Provider ID": lambda r, c: roaming(r).get("provider_id"),
    "Transaction ID": lambda r, c: None if r.status == "Failed" else (
        roaming(r).get("partner_transaction_id") or r.transaction_id),
    "Duration": lambda r, c: between(r.started_at, r.stopped_at),
    "VAT rate": lambda r, c: r.vat_rate, "VAT amount": lambda r, c: r.total_tax,
}


def _price(r):
    return r.price_currency or r.organisation_currency


def _tax_owed(r):
    if r.total_tax is None or r.exchange_rate is None:
        return None
    return (r.total_tax * r.exchange_rate).quantize(CENT)


def _received(r, c):
    owed = _tax_owed(r)
    if not c["payout"].get(r.organisation_id) or r.revenue_settlement is None or owed is None:
        return None
    unsettled = r.unsettled_amount if r.unsettled_amount is not None else Decimal("0.00")
    if r.payment_method is None or r.payment_total is None or r.payment_total == unsettled:
        return Decimal("0.00")
    return r.revenue_settlement + owed - (unsettled * r.exchange_rate).quantize(CENT)


def _charging(r):
    return duration(r.summary_charging_seconds)


def _payment_info(r, c):
    if r.prepaid_plan:
        return r.prepaid_plan
    if r.preauth_amount is not None:
        return f"pre-authorisation {r.preauth_amount.normalize():f} {_price(r)}"
    return None


def _recipient(r, c):
    account = c["payout"].get(r.organisation_id)
    return f"…{account[-5:]}" if account else "-"


_FIELDS = {  # statement columns showing one field as it is
    "Session ID": "session_id", "Site": "site_name", "Site ID": "site_id", "Country": "site_country",
    "State": "site_state", "Station ID": "station_id", "Port ID": "evse_id", "Connector Type": "connector_standard",
    "Serial Number": "serial_number", "Activation Method": "summary_start_source", "Completion Status": "status",
    "Roaming – CDR ID": "roaming_cdr_id", "Payment Method": "payment_method", "Payment Gateway": "payment_gateway",
    "Credit Card": "card_last4", "Discount Plan": "discount_plan", "Discount Plan Name": "discount_plan_name",
    "Connection Fee": "connection_fee", "Session Fee": "session_fee", "Occupancy Fee": "occupancy_fee",
    "Mem. Discount": "membership_discount", "Code Discount": "code_discount", "Subtotal": "subtotal",
    "Unsettled Amount": "unsettled_amount", "Total Tax": "total_tax", "Payment Total": "payment_total",
    "Failed Payment Amount": "failed_amount", "Failed Payment Reason": "failure_reason",
    "Payment Gateway Fee": "gateway_fee", "My Revenue": "revenue", "EV OS Fee": "platform_fee",
    "Settlement Currency": "settlement_currency", "Exchange Rate": "exchange_rate",
    "Payment Gateway Fee (Settlement Currency)": "gateway_fee_settlement",
    "My Revenue (Settlement Currency)": "revenue_settlement",
    "EV OS Fee (Settlement Currency)": "platform_fee_settlement", "Excise Tax": "excise_tax", "Site ZIP": "site_zip",
    "Site City": "site_city", "Site Address": "site_address", "Reporting Entity": "organisation_name",
    "Station Status": "station_status", "Station Vendor": "station_vendor", "Station Note": "station_note",
    "Driver Information": "driver_id",
}

STATEMENT = {
    **{name: (lambda field: lambda r, c: getattr(r, field))(field) for name, field in _FIELDS.items()},
    "Session Date": lambda r, c: in_zone(r.started_at, c["zone"]),
    "Charging Type": lambda r, c: f"{r.current_type}{Decimal(r.rated_kw).normalize():f}kW" if r.current_type
    else None,
    "Session Start Time": lambda r, c: in_zone(r.started_at, c["zone"]),
    "Session End Time": lambda r, c: in_zone(r.stopped_at, c["zone"]),
    "Session Duration (hh:mm:ss)": lambda r, c: between(r.started_at, r.stopped_at),
    "Session Duration (Min)": lambda r, c: minutes(between(r.started_at, r.stopped_at)),
    "Charging Duration (hh:mm:ss)": lambda r, c: _charging(r),
    "Charging Duration (Min)": lambda r, c: minutes(_charging(r)),
    "Energy Delivered (kWh)": lambda r, c: kilowatt_hours(r.energy_wh),
    "Roaming – Party": lambda r, c: r.roaming_provider_id or r.network,
    "Additional Payment Info": _payment_info, "Display Currency": lambda r, c: _price(r),
    "Net Revenue Recipient (Incl. Tax)": _recipient, "Net Revenue Received (Incl. Tax)": _received,
    "Total Tax Owed": lambda r, c: _tax_owed(r),
    "Taxes Type": lambda r, c: None if r.taxes_inclusive is None else (
        "Inclusive" if r.taxes_inclusive else "Exclusive"),
    "Time Zone": lambda r, c: c["zone"].key,
    "Data Verification Date": lambda r, c: in_zone(r.settled_at, c["zone"]),
    "Estimated CO2 Emission Reduction (kgCO₂e)": lambda r, c: co2_saved_kg(r.energy_wh, r.site_country),
    "Note": lambda r, c: r.summary_failure_reason or r.summary_stop_reason,
}


def _tax(jurisdiction):
    def value(r, c):
        for tax in r.taxes or []:
            if tax_key(tax) == jurisdiction:
                return Decimal(str(tax.get("amount")))
        return None
    return value


VALUES = {"sessions": SESSIONS, "roaming-sessions": ROAMING, "statement": STATEMENT}


def value_of(report: str, name: str):
    if report == "statement" and name.startswith("Tax – "):
        return _tax(name[len("Tax – "):])
    return VALUES[report][name]


# ---- texts --------------------------------------------------------------------------------------------------------

def money_text(value: Decimal) -> str:
    exact, cents = value.quantize(FOUR), value.quantize(CENT)
    return f"{cents:f}" if cents == exact else f"{exact:f}"


def as_text(column, value) -> str:
    """The cell's text; None is an empty cell."""
    if value is None:
        return ""
    kind = column.kind
    if kind is Kind.TEXT:
        return neutralise(str(value))
    if kind is Kind.MONEY:
        return money_text(Decimal(value))
    if kind in (Kind.DECIMAL, Kind.PERCENT):
        return f"{Decimal(value).quantize(Decimal(1).scaleb(-column.places)):f}"
    if kind is Kind.INTEGER:
        return str(int(value))
    if kind is Kind.DATETIME:
        return value.strftime(column.time_format)
    if kind is Kind.DURATION:
        return hh_mm_ss(value)
    if kind is Kind.JSON:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    raise ValueError(kind)


# ---- the report ---------------------------------------------------------------------------------------------------

class _Moved:
    def __init__(self, base, overrides):
        self._base, self._overrides = base, overrides

    def __getattr__(self, name):
        return self._overrides[name] if name in self._overrides else getattr(self._base, name)


_AMOUNTS = (Kind.MONEY, Kind.DECIMAL, Kind.PERCENT, Kind.INTEGER, Kind.DURATION, Kind.JSON)


def render(engine, request) -> list[list[str]]:
    """The header and every row's cell texts, as the report must show them."""
    report = REPORTS[request.report]
    with engine.connect() as conn:
        columns = visible_columns(report.columns(conn, request), request)
        context = {"zone": ZoneInfo(request.time_zone), "payout": payout_by_organisation(conn, request)}
        values = [value_of(report.name, c.name) for c in columns]
        table = [[c.name for c in columns]]
        for row in conn.execute(report_query(request, report.where(request))):
            table.append([as_text(c, v(row, context)) for c, v in zip(columns, values)])
        if report.trailing is None:
            return table
        found = moves(conn, request)
        base = {r.session_id: r for r in conn.execute(joined_rows().where(sessions.c.id.in_(
            sorted({m[0] for m in found}))))}
        for session_id, at, status, note, refunded in found:
            session = base[session_id]
            received = None
            if refunded is not None and context["payout"].get(session.organisation_id) and \
                    session.exchange_rate is not None:
                received = -(refunded * session.exchange_rate).quantize(CENT)
            row = _Moved(session, {"status": status, "settled_at": at})
            own = {"Session Date": in_zone(at, context["zone"]), "Completion Status": status, "Note": note,
                   "Payment Total": -refunded if refunded is not None else None,
                   "Net Revenue Received (Incl. Tax)": received, "Failed Payment Reason": None}
            table.append([as_text(c, own[c.name] if c.name in own else None if c.kind in _AMOUNTS else v(row, context))
                          for c, v in zip(columns, values)])
    return table


def same_cells(expected: list[list[str]], got: list[list[str]]) -> int:
    """Asserts the two tables agree cell by cell (JSON cells as JSON values); returns the cells compared."""
    assert len(got) == len(expected), (len(got), len(expected))
    assert got[0] == expected[0]
    compared = 0
    for number, (want, have) in enumerate(zip(expected, got)):
        assert len(have) == len(want), number
        for name, a, b in zip(expected[0], want, have):
            if a != b and a.startswith(("{", "[")):  # a JSON cell: the same value, whatever its spacing
                try:
                    a, b = json.loads(a), json.loads(b)
                except ValueError:
                    pass
            assert a == b, f"row {number}, {name}: expected {a!r}, got {b!r}"
            compared += 1
    return compared
