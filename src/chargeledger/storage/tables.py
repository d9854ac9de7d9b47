"""The database schema. Alembic migrations are written from it; the ledger tables are append-only.

The operator's network, the session ledger and access live here; money and reporting tables live in `money_tables`,
live OCPI's in `ocpi_tables`, what the OCPP side keeps per station (and the message log) in `station_tables`; all are
re-exported, so `from chargeledger.storage.tables import …` finds every table.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, Numeric, SmallInteger, String, Table, Text, false,
    true, UniqueConstraint,
)

from .schema_types import BigId, Json, Money, UtcDateTime, UtcTime, metadata  # noqa: F401 - re-exported

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
    # the grid connection's limit, shared by the site's stations (each gets a ChargePointMaxProfile share)
    Column("power_limit_kw", Numeric(10, 1)),
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
    # connects without credentials: only by the operator's explicit choice, warned about on its page
    Column("unsecured", Boolean, nullable=False, default=False, server_default=false()),
    Column("billing_profile", Json),
    Column("last_seen_at", UtcTime),
    # the gateway process holding its websocket now (none: offline), since when, and its last message
    Column("gateway", String(128)),
    Column("connected_since", UtcTime),
    Column("last_message_at", UtcTime),
    # the operator's answer to its BootNotification: Accepted, Pending (waits for approval) or Rejected
    Column("registration", String(16), nullable=False, default="Accepted", server_default="Accepted"),
    # the lowest OCPP security profile it may connect with, raised once it reconnected at a higher one (TC_A_19)
    Column("security_profile", SmallInteger),
    # a higher profile the station accepted and applies when it reconnects (read at each handshake, with the rest)
    Column("security_profile_asked", SmallInteger),
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

# The operator's token book. A token (RFID UID, contract ID) is unique within its organisation, compared as OCPP's
# CiString: case-insensitively, through uid_key. Accepted at that organisation's stations only, unless roaming.
id_tokens = Table(
    "id_tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("organisation_id", String(64), ForeignKey("organisations.id"), index=True),
    Column("uid", String(64), nullable=False),  # as the operator wrote it (what the charger reports)
    Column("uid_key", String(64), nullable=False, index=True),  # the uid case-folded: every lookup compares this
    Column("token_type", String(16), nullable=False, default="ISO14443", server_default="ISO14443"),
    Column("driver_id", String(64), ForeignKey("drivers.id"), index=True),
    Column("team_id", String(64), ForeignKey("teams.id")),
    Column("contract_id", String(64), index=True),
    Column("status", String(16), nullable=False, default="Accepted"),
    Column("expires_at", UtcTime),
    Column("group_id", String(64)),  # OCPP parentIdTag / groupIdToken: tokens of one group may stop each other
    Column("roaming", Boolean, nullable=False, default=False, server_default=false()),
    Column("updated_at", UtcTime),
    UniqueConstraint("organisation_id", "uid_key", name="uq_id_tokens_organisation_uid"),
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


def _where_set(column, dialects=("sqlite", "postgresql")) -> dict:
    """Index options for an index holding only the rows where `column` has a value (migration i18a): for columns an
    imported session (most sessions of a migrated history) leaves empty, whose queries all compare with = or IN,
    which implies IS NOT NULL, so both databases use the partial index for them."""
    return {f"{dialect}_where": column.is_not(None) for dialect in dialects}


Index("ix_sessions_org_started", sessions.c.organisation_id, sessions.c.started_at, sessions.c.id)
Index("ix_sessions_station_started", sessions.c.station_id, sessions.c.started_at)
Index("ix_sessions_site_started", sessions.c.site_id, sessions.c.started_at)
Index("ix_sessions_started", sessions.c.started_at, sessions.c.id)
Index("ix_sessions_status", sessions.c.status)
Index("ix_sessions_evse", sessions.c.evse_id, **_where_set(sessions.c.evse_id))
Index("ix_sessions_token", sessions.c.id_token)
Index("ix_sessions_transaction", sessions.c.station_id, sessions.c.transaction_id,
      **_where_set(sessions.c.transaction_id))
# The list sorts by energy and searches one term across columns: each OR branch needs its own index.
Index("ix_sessions_energy", sessions.c.energy_wh, sessions.c.id)
Index("ix_sessions_transaction_id", sessions.c.transaction_id, **_where_set(sessions.c.transaction_id))
Index("ix_sessions_driver", sessions.c.driver_id, **_where_set(sessions.c.driver_id))

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
    # PostgreSQL: the writing transaction's id (a server default), so the outbox reads only what has surely
    # committed (ledger/outbox.py, "holes"). SQLite serialises writers and leaves it empty.
    Column("txid", BigInteger),
    # False for history stored without reactions (an import without --notify, seeded history): the outbox passes it.
    Column("reactions", Boolean, nullable=False, server_default=true()),
    UniqueConstraint("session_id", "seq", name="uq_session_events_seq"),
)
# SQLite leaves txid empty and its outbox reads by id: the index holds PostgreSQL's events only
Index("ix_session_events_txid", session_events.c.txid, session_events.c.id,
      **_where_set(session_events.c.txid, ("sqlite",)))

# session_events is the outbox: a consumer's checkpoint is the last event it handled (PostgreSQL: txid and id).
outbox_checkpoints = Table(
    "outbox_checkpoints", metadata,
    Column("consumer", String(64), primary_key=True),
    Column("last_event_id", BigInteger, nullable=False),
    Column("last_txid", BigInteger, nullable=False),
    Column("updated_at", UtcTime, nullable=False),
)

# A reaction that failed on an event: retried with backoff, parked (poison) after its last attempt.
outbox_failures = Table(
    "outbox_failures", metadata,
    Column("event_id", BigInteger, primary_key=True),
    Column("consumer", String(120), primary_key=True),
    Column("session_id", BigInteger, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=False),
    Column("next_attempt_at", UtcTime, nullable=False),
    Column("parked", Boolean, nullable=False, default=False),
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
    Column("locale", String(16)),  # how amounts are shown to them (de_DE, en_US); empty: their browser's language
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

from .money_tables import (  # noqa: E402, F401 - re-exported, after the tables their foreign keys name
    tariffs,
    tariff_assignments,
    session_settlements,
    payments,
    payment_attempts,
    refunds,
    report_jobs,
    payout_accounts,
    reimbursement_agreements,
    revenue_shares,
    exchange_rates,
    energy_prices,
)
from .ocpi_tables import evse_states, ocpi_client_info, ocpi_partners, ocpi_pushes, ocpi_tokens  # noqa: E402, F401 - re-exported
from .station_tables import (  # noqa: E402, F401 - re-exported
    charging_profiles, gateways, ocpp_messages, reservations, security_events, station_certificates,
    station_configuration, station_files, station_states, station_variables,
)

# Every operator action (stop, refund, force-close, command, tariff, user and key changes): who, when, from where.
audit_entries = Table(
    "audit_entries", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UtcTime, nullable=False),
    Column("organisation_id", String(64)),  # whose object it concerns; None for actions outside organisations
    Column("actor", String(200), nullable=False),  # a user's email, or the system user behind a CLI command
    Column("via", String(8), nullable=False),  # web (signed-in browser), api (API key), cli
    Column("address", String(64)),  # the client's address (behind a trusted proxy: the forwarded one)
    Column("action", String(48), nullable=False),  # session.stop, payment.refund, tariff.update …
    Column("target_kind", String(24), nullable=False),
    Column("target_id", String(128), nullable=False),
    Column("details", Json),
    Index("ix_audit_entries_target", "target_kind", "target_id", "id"),
    Index("ix_audit_entries_organisation_id", "organisation_id", "id"),
)
