"""The database schema. Alembic migrations are written from this; the ledger tables are append-only."""

from __future__ import annotations

from datetime import timezone

from sqlalchemy import (
    JSON, BigInteger, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, MetaData, Numeric, SmallInteger,
    String, Table, Text, UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s",
})

# JSONB on PostgreSQL (indexable, compact), plain JSON text on SQLite.
Json = JSON().with_variant(JSONB(), "postgresql")
# SQLite's INTEGER PRIMARY KEY is the rowid alias only for INTEGER, so BigInteger becomes INTEGER there.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Money = Numeric(18, 6)


class UtcDateTime(TypeDecorator):
    """Times go in as UTC and come out timezone-aware, also on SQLite (which keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: ChargeLedger stores UTC only")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


UtcTime = UtcDateTime()

organisations = Table(
    "organisations", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("public", Boolean, nullable=False, default=True),
    Column("vat_number", String(64)),
    Column("ou_code", String(64)),
    Column("prices_include_tax", Boolean, nullable=False, default=False),
)

teams = Table(
    "teams", metadata,
    Column("id", String(64), primary_key=True),
    Column("organisation_id", String(64), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("kwh_price_cap", Money),
)

sites = Table(
    "sites", metadata,
    Column("id", String(64), primary_key=True),
    Column("organisation_id", String(64), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("address", String(300), nullable=False, default=""),
    Column("zip_code", String(20), nullable=False, default=""),
    Column("city", String(120), nullable=False, default=""),
    Column("state", String(120)),
    Column("country", String(2), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("latitude", Numeric(9, 6)),
    Column("longitude", Numeric(9, 6)),
    Column("ou_code", String(64)),
)

stations = Table(
    "stations", metadata,
    Column("id", String(64), primary_key=True),
    Column("organisation_id", String(64), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("site_id", String(64), ForeignKey("sites.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("serial_number", String(64)),
    Column("sticker_id", String(64)),
    Column("vendor", String(64)),
    Column("model", String(64)),
    Column("firmware", String(64)),
    Column("note", Text),
    Column("status", String(32), nullable=False, default="Unknown"),
    Column("free_usage", Boolean, nullable=False, default=False),
    Column("ocpp_version", String(8), nullable=False, default="1.6"),
    Column("password_hash", String(200)),
    Column("billing_profile", Json),
    Column("last_seen_at", UtcTime),
)

evses = Table(
    "evses", metadata,
    Column("evse_id", String(48), primary_key=True),
    Column("station_id", String(64), ForeignKey("stations.id"), nullable=False, index=True),
    Column("ocpp_evse_id", Integer, nullable=False),
    UniqueConstraint("station_id", "ocpp_evse_id", name="uq_evses_station_ocpp"),
)

connectors = Table(
    "connectors", metadata,
    Column("evse_id", String(48), ForeignKey("evses.evse_id"), primary_key=True),
    Column("connector_id", Integer, primary_key=True),
    Column("standard", String(32), nullable=False),
    Column("current_type", String(2), nullable=False),
    Column("rated_kw", Numeric(8, 2), nullable=False),
    Column("phases", SmallInteger, nullable=False, default=3),
)

drivers = Table(
    "drivers", metadata,
    Column("id", String(64), primary_key=True),
    Column("organisation_id", String(64), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("email", String(200)),
    Column("phone", String(64)),
    Column("team_id", String(64), ForeignKey("teams.id")),
)

id_tokens = Table(
    "id_tokens", metadata,
    Column("uid", String(64), primary_key=True),
    Column("driver_id", String(64), ForeignKey("drivers.id"), index=True),
    Column("contract_id", String(64), index=True),
    Column("status", String(16), nullable=False, default="Accepted"),
    Column("expires_at", UtcTime),
)

vehicles = Table(
    "vehicles", metadata,
    Column("id", String(64), primary_key=True),
    Column("driver_id", String(64), ForeignKey("drivers.id"), index=True),
    Column("make", String(64), nullable=False),
    Column("model", String(64), nullable=False),
    Column("battery_kwh", Numeric(6, 1)),
)

roaming_partners = Table(
    "roaming_partners", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("network", String(16), nullable=False),
    Column("country_code", String(2), nullable=False),
    Column("party_id", String(3), nullable=False),
    Column("role", String(8), nullable=False, default="eMSP"),
)

# One row per session: identity plus a denormalised summary (a projection cache) for lists and reports.
sessions = Table(
    "sessions", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("external_key", String(160), nullable=False, unique=True),  # idempotency: import row, OCPP txn…
    Column("organisation_id", String(64), ForeignKey("organisations.id"), nullable=False),
    Column("site_id", String(64), ForeignKey("sites.id")),
    Column("station_id", String(64), ForeignKey("stations.id")),
    Column("evse_id", String(48)),
    Column("connector_id", Integer),
    Column("transaction_id", String(64)),
    Column("status", String(16), nullable=False),
    Column("started_at", UtcTime),
    Column("stopped_at", UtcTime),
    Column("energy_wh", Float),
    Column("id_token", String(64)),
    Column("driver_id", String(64)),
    Column("network", String(16)),
    Column("simulated", Boolean, nullable=False, default=False),
    Column("summary", Json),  # the rest of the projection, for lists without reading events
    Column("last_event_at", UtcTime),
    Column("created_at", UtcTime, nullable=False),
)
Index("ix_sessions_org_started", sessions.c.organisation_id, sessions.c.started_at, sessions.c.id)
Index("ix_sessions_station_started", sessions.c.station_id, sessions.c.started_at)
Index("ix_sessions_site_started", sessions.c.site_id, sessions.c.started_at)
Index("ix_sessions_started", sessions.c.started_at, sessions.c.id)
Index("ix_sessions_status", sessions.c.status)
Index("ix_sessions_evse", sessions.c.evse_id)
Index("ix_sessions_token", sessions.c.id_token)
Index("ix_sessions_transaction", sessions.c.station_id, sessions.c.transaction_id)
# The list sorts by energy and searches one term across columns: each OR branch needs its own index.
Index("ix_sessions_energy", sessions.c.energy_wh, sessions.c.id)
Index("ix_sessions_transaction_id", sessions.c.transaction_id)
Index("ix_sessions_driver", sessions.c.driver_id)

session_events = Table(
    "session_events", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("session_id", BigId, ForeignKey("sessions.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("occurred_at", UtcTime, nullable=False),
    Column("recorded_at", UtcTime, nullable=False),
    Column("source", String(16), nullable=False),
    Column("payload", Json, nullable=False),
    Column("idempotency_key", String(200), unique=True),  # a resent message maps to the same key
    UniqueConstraint("session_id", "seq", name="uq_session_events_seq"),
)

# Compact: one narrow row per reading, integer codes, deduplicated on its natural key (no surrogate id).
meter_samples = Table(
    "meter_samples", metadata,
    Column("session_id", BigId, ForeignKey("sessions.id"), primary_key=True),
    Column("time", UtcTime, primary_key=True),
    Column("measurand", SmallInteger, primary_key=True),
    Column("phase", SmallInteger, primary_key=True),
    Column("location", SmallInteger, primary_key=True),
    Column("value", Float, nullable=False),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(200), nullable=False, unique=True),
    Column("password_hash", String(200)),
    Column("rights", String(200), nullable=False, default=""),  # comma-separated Right values
    Column("time_zone", String(64), nullable=False, default="UTC"),
    Column("created_at", UtcTime, nullable=False),
)

user_organisations = Table(
    "user_organisations", metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("organisation_id", String(64), ForeignKey("organisations.id"), primary_key=True),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("key_hash", String(64), nullable=False, unique=True),  # sha256: keys are random, not passwords
    Column("prefix", String(12), nullable=False),
    Column("kind", String(8), nullable=False, default="api"),  # api | login (browser session)
    Column("expires_at", UtcTime),
    Column("created_at", UtcTime, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

ocpp_messages = Table(
    "ocpp_messages", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("station_id", String(64), nullable=False),
    Column("time", UtcTime, nullable=False),
    Column("direction", String(3), nullable=False),  # in | out
    Column("message_type", SmallInteger, nullable=False),  # 2 Call, 3 CallResult, 4 CallError
    Column("action", String(64)),
    Column("unique_id", String(64)),
    Column("payload", Text, nullable=False),
    Column("session_id", BigId),
)
Index("ix_ocpp_messages_station_time", ocpp_messages.c.station_id, ocpp_messages.c.time)
Index("ix_ocpp_messages_session", ocpp_messages.c.session_id)

import_runs = Table(
    "import_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(300), nullable=False),
    Column("started_at", UtcTime, nullable=False),
    Column("rows_total", Integer, nullable=False, default=0),
    Column("rows_imported", Integer, nullable=False, default=0),
    Column("rows_skipped", Integer, nullable=False, default=0),
    Column("rows_rejected", Integer, nullable=False, default=0),
    Column("errors", Json),
)

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
