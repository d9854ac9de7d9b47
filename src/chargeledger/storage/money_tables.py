"""Tables of money and reporting: tariffs, settlements, payments, refunds, report jobs and setups, rates.

Pricing and settlement adapters write these; reports and pages read them. Foreign keys name their tables as text,
so this module needs nothing from the ledger's tables.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean, Column, ForeignKey, Index, Integer, Numeric, String, Table, Text, UniqueConstraint,
)

from .schema_types import BigId, Json, Money, UtcTime, metadata

# -- tariffs, settlement and payments (pricing/settlement adapters write these; reports and pages read them) ---

tariffs = Table(
    "tariffs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tariff_id", String(36), nullable=False),  # the OCPI Tariff.id
    Column("version", Integer, nullable=False),        # every edit is a new version; sessions keep theirs
    Column("organisation_id", String(64), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("ocpi", Json, nullable=False),  # the exact OCPI 2.2.1 Tariff object, money as strings
    Column("created_at", UtcTime, nullable=False),
    # set on the newest version when the operator withdraws the tariff: partners are sent a DELETE and no longer
    # see it; a later version publishes it again
    Column("withdrawn_at", UtcTime),
    UniqueConstraint("tariff_id", "version", name="uq_tariffs_version"),
)

tariff_assignments = Table(
    "tariff_assignments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tariff_id", String(36), nullable=False, index=True),
    Column("scope", String(16), nullable=False),  # organisation | site | station | evse (most specific wins)
    Column("scope_id", String(64), nullable=False),
    Column("valid_from", UtcTime),
    Column("valid_to", UtcTime),
)
Index("ix_tariff_assignments_scope", tariff_assignments.c.scope, tariff_assignments.c.scope_id)

# One row per pricing of a session; a re-pricing adds a row and moves `current`, the earlier one stays.
session_settlements = Table(
    "session_settlements", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("session_id", BigId, ForeignKey("sessions.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("current", Boolean, nullable=False, default=True),
    Column("settled_at", UtcTime, nullable=False),
    Column("reason", String(200)),  # why (re)priced
    Column("tariff_id", String(36)),
    Column("tariff_version", Integer),
    Column("currency", String(3), nullable=False),
    # OCPI CDR totals, unrounded (4 decimals as OCPI carries them)
    Column("total_energy_kwh", Money), Column("total_time_hours", Money), Column("total_parking_time_hours", Money),
    Column("total_cost_excl_vat", Money), Column("total_cost_incl_vat", Money),
    Column("total_fixed_cost_excl_vat", Money), Column("total_fixed_cost_incl_vat", Money),
    Column("total_energy_cost_excl_vat", Money), Column("total_energy_cost_incl_vat", Money),
    Column("total_time_cost_excl_vat", Money), Column("total_time_cost_incl_vat", Money),
    Column("total_parking_cost_excl_vat", Money), Column("total_parking_cost_incl_vat", Money),
    Column("total_reservation_cost_excl_vat", Money), Column("total_reservation_cost_incl_vat", Money),
    # the invoice: rounded to the currency's minor unit
    Column("connection_fee", Money), Column("session_fee", Money), Column("occupancy_fee", Money),
    Column("reservation_fee", Money), Column("amount_before_discount", Money),
    Column("membership_discount", Money), Column("code_discount", Money), Column("discount_plan", String(64)),
    Column("discount_plan_name", String(200)), Column("subtotal", Money), Column("taxes_inclusive", Boolean),
    Column("taxes", Json),  # [{"jurisdiction": "State", "rate": "0.0625", "amount": "1.23"}, …]
    Column("excise_tax", Money), Column("total_tax", Money), Column("vat_rate", Money),
    Column("payment_total", Money),
    # operator side
    Column("electricity_cost", Money), Column("margin", Money),
    Column("gateway_fee", Money), Column("platform_fee", Money), Column("revenue", Money),
    Column("settlement_currency", String(3)), Column("exchange_rate", Numeric(18, 8)),
    Column("gateway_fee_settlement", Money), Column("platform_fee_settlement", Money),
    Column("revenue_settlement", Money),
    Column("split_billing", Json),  # team cap: effective rate, covered rate, team share, driver contribution
    Column("breakdown", Json),      # invoice lines grouped by tariff window, fees, adjustments, totals
    Column("bill_details", Json),   # only for stations with a billing profile
    UniqueConstraint("session_id", "version", name="uq_session_settlements_version"),
)
Index("ix_session_settlements_current", session_settlements.c.session_id, session_settlements.c.current)

payments = Table(
    "payments", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("session_id", BigId, ForeignKey("sessions.id"), nullable=False, index=True),
    Column("method", String(24), nullable=False),  # card, wallet, prepaid, rfid_account, roaming_invoice, free
    Column("gateway", String(40), nullable=False),
    Column("card_last4", String(4)),
    Column("preauth_amount", Money),
    Column("prepaid_plan", String(120)),
    Column("currency", String(3), nullable=False),
    Column("amount_due", Money, nullable=False),
    Column("amount_captured", Money, nullable=False, default=0),
    Column("failed_amount", Money, nullable=False, default=0),
    Column("failure_reason", String(40)),
    Column("unsettled_amount", Money, nullable=False, default=0),
    Column("status", String(16), nullable=False),  # pending, captured, failed, partially_refunded, refunded
    Column("gateway_reference", String(120)),
    Column("created_at", UtcTime, nullable=False),
)

payment_attempts = Table(
    "payment_attempts", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("payment_id", BigId, ForeignKey("payments.id"), nullable=False, index=True),
    Column("at", UtcTime, nullable=False),
    Column("amount", Money, nullable=False),
    Column("outcome", String(16), nullable=False),  # captured | failed
    Column("failure_reason", String(40)),
)

refunds = Table(
    "refunds", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("payment_id", BigId, ForeignKey("payments.id"), nullable=False, index=True),
    Column("session_id", BigId, ForeignKey("sessions.id"), nullable=False, index=True),
    Column("amount", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", String(300)),
    Column("idempotency_key", String(120), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("requested_by", String(200)),
    Column("created_at", UtcTime, nullable=False),
)

report_jobs = Table(
    "report_jobs", metadata,
    Column("id", String(36), primary_key=True),
    Column("report", String(40), nullable=False),
    Column("format", String(16), nullable=False),
    Column("parameters", Json, nullable=False),
    Column("status", String(16), nullable=False),  # queued, running, done, failed
    Column("rows_done", Integer, nullable=False, default=0),
    Column("rows_total", Integer),
    Column("file_path", String(500)),
    Column("error", Text),
    Column("requested_by", Integer, ForeignKey("users.id")),
    Column("created_at", UtcTime, nullable=False),
    Column("finished_at", UtcTime),
)

# -- reports and exports setup (reports adapter; migration r5a1) ----------------------------------------------

# Where an organisation's net revenue is paid out; the statement shows only the account's last five digits.
payout_accounts = Table(
    "payout_accounts", metadata,
    Column("organisation_id", String(64), ForeignKey("organisations.id"), primary_key=True),
    Column("bank_account", String(64), nullable=False),
    Column("automatic_transfer", Boolean, nullable=False, default=True),
)

# Home/fleet charging paid back by an employer: a rate per kWh to a payee, for sessions on one station.
reimbursement_agreements = Table(
    "reimbursement_agreements", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("station_id", String(64), ForeignKey("stations.id"), nullable=False, index=True),
    Column("payee", String(200), nullable=False),
    Column("payee_account", String(64)),
    Column("rate_per_kwh", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("valid_from", UtcTime),
    Column("valid_to", UtcTime),
)

# Revenue split between the operator and the site owner (the CPO's customer): a percentage and/or a kWh fee.
revenue_shares = Table(
    "revenue_shares", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("station_id", String(64), ForeignKey("stations.id"), nullable=False, index=True),
    Column("site_owner", String(200), nullable=False),
    Column("owner_percentage", Numeric(7, 4), nullable=False, default=0),  # of revenue excl. VAT
    Column("owner_per_kwh", Money, nullable=False, default=0),
    Column("valid_from", UtcTime),
    Column("valid_to", UtcTime),
)

# -- settlement rates (settlement owns these): exchange rates and hourly energy prices, both from the operator ---

exchange_rates = Table(
    "exchange_rates", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("organisation_id", String(64), ForeignKey("organisations.id"), nullable=False),
    Column("from_currency", String(3), nullable=False),
    Column("to_currency", String(3), nullable=False),
    Column("rate", Numeric(18, 8), nullable=False),
    Column("valid_from", UtcTime, nullable=False),  # the newest rate valid at settlement is fixed on it
)
Index("ix_exchange_rates_pair", exchange_rates.c.organisation_id, exchange_rates.c.from_currency,
      exchange_rates.c.to_currency, exchange_rates.c.valid_from)

energy_prices = Table(
    "energy_prices", metadata,
    Column("market", String(40), primary_key=True),
    Column("hour", UtcTime, primary_key=True),  # start of the UTC hour
    Column("price_per_kwh", Numeric(18, 8), nullable=False),
)
