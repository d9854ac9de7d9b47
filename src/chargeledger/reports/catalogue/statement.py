"""Seed 002: the session statement, sections I to VIII in the seed's order; times in the viewer's zone."""

from __future__ import annotations

import json

from sqlalchemy import Text, cast, select, true

from ...access.rights import Right
from ...storage.tables import payout_accounts, session_settlements, sessions
from ..cell_sql import co2_saved_sql, literal
from ..cells import neutralise
from ..columns import Column, Kind, Report, as_is, local_time
from ..source import in_frame
from .payment_moves import MOVES, paid_out

# the seed's yyyy-mm-dd-hh:mm with the offset from UTC, so each time says which zone it is in (+0100)
_STAMP = dict(time_format="%Y-%m-%d-%H:%M%z", excel_format="yyyy-mm-dd-hh:mm")
_DAY = dict(time_format="%Y-%m-%d", excel_format="yyyy-mm-dd")
_PRICE = "coalesce(nullif(price_currency, ''), organisation_currency)"  # the amounts' currency
_SETTLED = "settlement_currency"


def _money(name, attr, currency=_PRICE, right=None):
    return as_is(name, Kind.MONEY, attr, currency=currency, right=right)


_CHARGING_SECONDS = "CAST(round_even(summary_charging_seconds, 0) AS BIGINT)"
# Decimal keeps a zero's sign: a product's is the operands' signs together, a sum's negative only when both are
# (and a difference's when the first is negative and the second a positive zero)
_OWED = "round_even(CAST(total_tax AS DECIMAL(38, 10)) * CAST(exchange_rate AS DECIMAL(38, 10)), 2)"
_OWED_NEGATIVE = "(starts_with(total_tax, '-') <> starts_with(exchange_rate, '-'))"


def _recipient(scope) -> str:
    """The payout account's last five characters, "-" without one."""
    accounts = scope.context.extras.get("payout", {})
    cases = " ".join(f"WHEN {literal(org)} THEN {literal(neutralise(f'…{account[-5:]}'))}"
                     for org, account in accounts.items() if account)
    return f"CASE organisation_id {cases} ELSE '-' END" if cases else "'-'"


def _dec(field: str) -> str:
    return f"CAST({field} AS DECIMAL(38, 10))"


def _received(scope) -> str:
    """What the payout account received for the session: its revenue incl. tax, less what is still owed (not
    captured: failed, invoiced, an extra capture that failed), converted; nothing when nothing was taken.
    Refunds are rows of their own (payment_moves.py), dated when they were made."""
    unsettled = _dec("coalesce(unsettled_amount, '0')")
    nothing_taken = f"payment_method IS NULL OR payment_total IS NULL OR {_dec('payment_total')} = {unsettled}"
    still_owed = f"round_even({unsettled} * {_dec('exchange_rate')}, 2)"
    return (f"CASE WHEN organisation_id IN ({paid_out(scope)}) THEN CASE "
            f"WHEN revenue_settlement IS NULL OR total_tax IS NULL OR exchange_rate IS NULL THEN NULL "
            f"WHEN {nothing_taken} THEN '0.00' "
            f"ELSE cl_money_value({_dec('revenue_settlement')} + {_OWED} - {still_owed}, "
            f"starts_with(revenue_settlement, '-') AND {_OWED_NEGATIVE} AND {still_owed} = 0 "
            f"AND starts_with(coalesce(unsettled_amount, '0'), '-') = starts_with(exchange_rate, '-')) END END")


# the taxes list, parsed once per row for every tax column and the coverage check (Report.derived)
_TAXES = "tax_list"
_TAX_LIST = "from_json(taxes, '[{\"jurisdiction\": \"VARCHAR\", \"name\": \"VARCHAR\", \"amount\": \"VARCHAR\"}]')"
_TAX_KEY = "coalesce(nullif(tax.name, ''), tax.jurisdiction)"  # tax_key(): the name, else the level


def _tax(jurisdiction: str) -> str:
    return f"cl_money(list_filter({_TAXES}, lambda tax: {_TAX_KEY} = {literal(jurisdiction)})[1].amount)"


def _uncovered(columns: list[Column]) -> str:
    """A row listing a jurisdiction without a column (jurisdictions() names a missing one "None")."""
    shown = [c.name[len(_TAX_PREFIX):] for c in columns if c.name.startswith(_TAX_PREFIX)]
    known = " OR ".join(f"coalesce({_TAX_KEY}, 'None') = {literal(name)}" for name in shown) or "false"
    return f"coalesce(len(list_filter({_TAXES}, lambda tax: NOT ({known}))), 0) > 0"


def tax_key(tax: dict) -> str | None:
    """The jurisdiction a tax column is for: its name (California, Boston, VAT 21%), else its level (State):
    two states' taxes are two columns, never one "State"."""
    return tax.get("name") or tax.get("jurisdiction")


def _head():
    F = Right.FINANCE
    return [
        # I. Basics
        local_time("Session Date", "started_at", **_DAY),
        as_is("Session ID", Kind.TEXT, "session_id"),
        # II. Site and station
        as_is("Site", Kind.TEXT, "site_name"),
        as_is("Site ID", Kind.TEXT, "site_id"),
        as_is("Country", Kind.TEXT, "site_country"),
        as_is("State", Kind.TEXT, "site_state"),
        as_is("Station ID", Kind.TEXT, "station_id"),
        as_is("Port ID", Kind.TEXT, "evse_id"),
        Column("Charging Type", Kind.TEXT,
               "cl_text(CASE WHEN current_type <> '' THEN current_type || cl_normal(rated_kw) || 'kW' END)"),
        as_is("Connector Type", Kind.TEXT, "connector_standard"),
        as_is("Serial Number", Kind.TEXT, "serial_number"),
        # III. EV charging
        local_time("Session Start Time", "started_at", **_STAMP),
        local_time("Session End Time", "stopped_at", **_STAMP),
        Column("Session Duration (hh:mm:ss)", Kind.DURATION,
               lambda scope: f"cl_hms({scope.seconds('started_at', 'stopped_at')})"),
        Column("Session Duration (Min)", Kind.DECIMAL,
               lambda scope: f"cl_minutes({scope.seconds('started_at', 'stopped_at')})"),
        Column("Charging Duration (hh:mm:ss)", Kind.DURATION, f"cl_hms({_CHARGING_SECONDS})"),
        Column("Charging Duration (Min)", Kind.DECIMAL, f"cl_minutes({_CHARGING_SECONDS})"),
        Column("Energy Delivered (kWh)", Kind.DECIMAL, "cl_kwh(energy_wh)", places=3),
        as_is("Activation Method", Kind.TEXT, "summary_start_source"),
        as_is("Completion Status", Kind.TEXT, "status"),
        Column("Roaming – Party", Kind.TEXT, "cl_text(coalesce(nullif(roaming_provider_id, ''), network))"),
        as_is("Roaming – CDR ID", Kind.TEXT, "roaming_cdr_id"),
        # IV. Payment
        as_is("Payment Method", Kind.TEXT, "payment_method"),
        as_is("Payment Gateway", Kind.TEXT, "payment_gateway"),
        as_is("Credit Card", Kind.TEXT, "card_last4"),
        Column("Additional Payment Info", Kind.TEXT,
               "cl_text(CASE WHEN prepaid_plan <> '' THEN prepaid_plan WHEN preauth_amount IS NOT NULL THEN "
               f"'pre-authorisation ' || cl_normal(preauth_amount) || ' ' || coalesce({_PRICE}, 'None') END)"),
        as_is("Discount Plan", Kind.TEXT, "discount_plan"),
        as_is("Discount Plan Name", Kind.TEXT, "discount_plan_name"),
        # V. Fees
        Column("Display Currency", Kind.TEXT, f"cl_text({_PRICE})"),
        _money("Connection Fee", "connection_fee"),
        _money("Session Fee", "session_fee"),
        _money("Occupancy Fee", "occupancy_fee"),
        _money("Mem. Discount", "membership_discount"),
        _money("Code Discount", "code_discount"),
        _money("Subtotal", "subtotal"),
        _money("Unsettled Amount", "unsettled_amount"),
        _money("Total Tax", "total_tax"),
        _money("Payment Total", "payment_total"),
        _money("Failed Payment Amount", "failed_amount"),
        as_is("Failed Payment Reason", Kind.TEXT, "failure_reason"),
        _money("Payment Gateway Fee", "gateway_fee", right=F),
        _money("My Revenue", "revenue", right=F),
        _money("EV OS Fee", "platform_fee", right=F),
        as_is("Settlement Currency", Kind.TEXT, "settlement_currency", right=F),
        as_is("Exchange Rate", Kind.DECIMAL, "exchange_rate", places=6, right=F),
        _money("Payment Gateway Fee (Settlement Currency)", "gateway_fee_settlement", _SETTLED, F),
        _money("My Revenue (Settlement Currency)", "revenue_settlement", _SETTLED, F),
        _money("EV OS Fee (Settlement Currency)", "platform_fee_settlement", _SETTLED, F),
        Column("Net Revenue Recipient (Incl. Tax)", Kind.TEXT, _recipient, right=F),
        Column("Net Revenue Received (Incl. Tax)", Kind.MONEY, _received, currency=_SETTLED, right=F),
        Column("Total Tax Owed", Kind.MONEY, f"cl_money_value({_OWED}, {_OWED_NEGATIVE})", currency=_SETTLED,
               right=F),
        # VII. Taxes
        Column("Taxes Type", Kind.TEXT,
               "CASE WHEN taxes_inclusive THEN 'Inclusive' WHEN NOT taxes_inclusive THEN 'Exclusive' END"),
    ]


def _tail():
    return [
        _money("Excise Tax", "excise_tax"),
        # VIII. Others
        as_is("Site ZIP", Kind.TEXT, "site_zip"),
        as_is("Site City", Kind.TEXT, "site_city"),
        as_is("Site Address", Kind.TEXT, "site_address"),
        # the zone this file's times are in (the viewer's), not the site's: a reader converts by it
        Column("Time Zone", Kind.TEXT, lambda scope: literal(scope.context.time_zone.key)),
        local_time("Data Verification Date", "settled_at", **_DAY),
        as_is("Reporting Entity", Kind.TEXT, "organisation_name"),
        as_is("Station Status", Kind.TEXT, "station_status"),
        as_is("Station Vendor", Kind.TEXT, "station_vendor"),
        as_is("Station Note", Kind.TEXT, "station_note"),
        # the session page's estimate (domain/impact.py), from the energy shown and the site's country
        Column("Estimated CO2 Emission Reduction (kgCO₂e)", Kind.DECIMAL, co2_saved_sql("energy_wh", "site_country")),
        Column("Note", Kind.TEXT, "cl_text(coalesce(nullif(summary_failure_reason, ''), summary_stop_reason))"),
        as_is("Driver Information", Kind.TEXT, "driver_id"),
    ]


def jurisdictions(conn, request) -> list[str]:
    """Tax jurisdictions present in the filtered settlements, one column each.

    Ordered as the tax lists order them (profiles list state, then county, then city), then by name, so the columns
    come out the same whatever order the database scans in.
    """
    query = (select(cast(session_settlements.c.taxes, Text))  # as text: each distinct list decoded once
             .join(sessions, sessions.c.id == session_settlements.c.session_id)
             .where(session_settlements.c.current == true(), session_settlements.c.taxes.is_not(None),
                    *in_frame(request, sessions.c.started_at))
             .distinct())
    names: set[str] = set()
    before: dict[str, set[str]] = {}  # jurisdiction -> those some list puts right after it
    for (text,) in conn.execute(query):
        listed = [str(tax_key(tax)) for tax in (json.loads(text) if text is not None else None) or []]
        names.update(listed)
        for first, second in zip(listed, listed[1:]):
            before.setdefault(first, set()).add(second)
    return _merged_order(names, before)


def _merged_order(names: set[str], before: dict[str, set[str]]) -> list[str]:
    """One order agreeing with every list's own order; ties, and contradictions between lists, go by name."""
    waiting = {name: 0 for name in names}
    for first, seconds in before.items():
        for second in seconds - {first}:
            waiting[second] += 1
    order: list[str] = []
    while waiting:
        free = [name for name, count in waiting.items() if count == 0]
        chosen = min(free) if free else min(waiting)  # a cycle means lists disagree: fall back to the name
        order.append(chosen)
        del waiting[chosen]
        for second in before.get(chosen, set()) - {chosen}:
            if second in waiting:
                waiting[second] -= 1
    return order


_TAX_PREFIX = "Tax – "  # no fixed column starts so: tax columns are found by it in a list of names


def columns(conn, request) -> list[Column]:
    taxes = [Column(f"{_TAX_PREFIX}{name}", Kind.MONEY, _tax(name), currency=_PRICE)
             for name in jurisdictions(conn, request)]
    return [*_head(), *taxes, *_tail()]


def payout_by_organisation(conn, request) -> dict[str, str]:
    rows = conn.execute(select(payout_accounts.c.organisation_id, payout_accounts.c.bank_account)
                        .where(payout_accounts.c.organisation_id.in_(request.organisation_ids),
                               payout_accounts.c.automatic_transfer == true()))
    return {org: account for org, account in rows}


REPORT = Report(
    name="statement", title="Session statement", rights=(Right.REPORTS,), columns=columns,
    uncovered=_uncovered, trailing=MOVES, derived={_TAXES: _TAX_LIST},
    note="Times in the viewer's time zone (yyyy-mm-dd-hh:mm+hhmm). Revenue columns only for the finance right. "
         "Refunds and re-pricings follow the sessions, a row each, dated when they happened.",
)
