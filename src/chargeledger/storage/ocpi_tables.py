"""Tables of live OCPI: the partners that registered (or are invited to) and the pushes queued for each of them.

Foreign keys name their tables as text, so this module needs nothing from the ledger's tables.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean, Column, ForeignKey, Index, Integer, SmallInteger, String, Table, Text, UniqueConstraint,
)

from .schema_types import BigId, Json, UtcTime, metadata

# A partner (eMSP, hub...) of one organisation. Tokens we issue (A, then C) are stored as sha256 only: they are
# random, and whoever reads the database must not be able to act as the partner. The token the partner gave us
# (B, or its C when we registered with it) is kept as given: we send it on every request.
ocpi_partners = Table(
    "ocpi_partners", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("organisation_id", String(64), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("country_code", String(2), nullable=False),  # the partner's party, checked against OCPI-from-* headers
    Column("party_id", String(3), nullable=False),
    Column("our_country_code", String(2), nullable=False),  # the operator's own CPO party towards this partner
    Column("our_party_id", String(3), nullable=False),
    Column("status", String(16), nullable=False),  # invited | registered | unregistered
    Column("token_a_hash", String(64), unique=True),
    Column("token_c_hash", String(64), unique=True),
    Column("their_token", String(64)),
    Column("their_versions_url", String(255)),
    Column("version", String(8)),
    Column("endpoints", Json),  # [{"identifier", "role", "url"}] of the partner's chosen version
    Column("roles", Json),  # the partner's CredentialsRole list, as it sent it
    Column("created_at", UtcTime, nullable=False),
    Column("registered_at", UtcTime),
    Column("updated_at", UtcTime, nullable=False),
)

# What we send a partner, in the order it must arrive. A row is written in the transaction of the change that causes
# it (or, for session facts, by the outbox reaction that reads the committed ledger event, keyed so a replay adds
# nothing); the push sender delivers each partner's rows oldest first, retrying with backoff while the partner is
# down, and keeps the partner's answer when it refuses one.
ocpi_pushes = Table(
    "ocpi_pushes", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("partner_id", Integer, ForeignKey("ocpi_partners.id"), nullable=False),
    # pushes of one object (a location and its EVSEs, a session and its CDRs) share a lane and keep their order;
    # lanes go out side by side
    Column("lane", SmallInteger, nullable=False, server_default="0"),
    Column("module", String(16), nullable=False),  # locations | tariffs | sessions | cdrs | commands
    Column("object_id", String(160), nullable=False),
    Column("method", String(8), nullable=False),  # PUT | PATCH | POST | DELETE
    Column("url", String(400)),  # a full URL (command results); else the module endpoint plus `path`
    Column("path", String(200), nullable=False, default=""),
    Column("body", Json),
    Column("key", String(200), unique=True),  # idempotency of the writer: the same fact queues one push
    Column("state", String(8), nullable=False),  # pending | sent | failed (refused) | replaced (merged into a newer)
    # the party the push is for when the partner is a hub routing it onwards (OCPI-to-* headers); else the partner
    Column("to_country_code", String(2)),
    Column("to_party_id", String(3)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),  # the partner's answer or the transport error
    Column("next_attempt_at", UtcTime, nullable=False),
    Column("created_at", UtcTime, nullable=False),
    Column("sent_at", UtcTime),
)
Index("ix_ocpi_pushes_partner_state", ocpi_pushes.c.partner_id, ocpi_pushes.c.state, ocpi_pushes.c.lane,
      ocpi_pushes.c.id)

# The EVSE status the chargers last reported (OCPP StatusNotification), for the OCPI locations module.
evse_states = Table(
    "evse_states", metadata,
    Column("evse_id", String(48), ForeignKey("evses.evse_id"), primary_key=True),
    Column("status", String(16), nullable=False),  # OCPI Status: AVAILABLE, CHARGING, OUTOFORDER...
    Column("updated_at", UtcTime, nullable=False),
)

# Tokens a partner pushed (tokens module, we are the Receiver) or authorised in real time. A charger's Authorize and
# StartTransaction with such a uid is decided by it, and the session it starts belongs to that partner.
ocpi_tokens = Table(
    "ocpi_tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partner_id", Integer, ForeignKey("ocpi_partners.id"), nullable=False),
    Column("country_code", String(2), nullable=False),
    Column("party_id", String(3), nullable=False),
    Column("uid", String(36), nullable=False),
    Column("uid_key", String(36), nullable=False, index=True),  # case-folded, as OCPP compares id tokens
    Column("type", String(16), nullable=False),
    Column("contract_id", String(36), nullable=False),
    Column("valid", Boolean, nullable=False),
    Column("whitelist", String(16), nullable=False),
    Column("token", Json, nullable=False),  # the whole Token object as the partner sent it
    Column("last_updated", UtcTime, nullable=False),
    UniqueConstraint("partner_id", "country_code", "party_id", "uid_key", "type", name="uq_ocpi_tokens_key"),
)

# What a hub tells us about the parties behind it (hubclientinfo module, we are the Receiver): who is there and whether
# it is connected, so the operator sees it and pushes for a party that comes back are sent at once.
ocpi_client_info = Table(
    "ocpi_client_info", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partner_id", Integer, ForeignKey("ocpi_partners.id"), nullable=False),  # the hub
    Column("country_code", String(2), nullable=False),
    Column("party_id", String(3), nullable=False),
    Column("role", String(8), nullable=False),  # CPO | EMSP | HUB | NAP | NSP | OTHER | SCSP
    Column("status", String(12), nullable=False),  # CONNECTED | OFFLINE | PLANNED | SUSPENDED
    Column("last_updated", UtcTime, nullable=False),
    UniqueConstraint("partner_id", "country_code", "party_id", "role", name="uq_ocpi_client_info_party"),
)
