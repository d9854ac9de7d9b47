"""Tables of what the OCPP side keeps per station beyond the ledger: gateway leases, configuration and device
model, last states, security events, reservations, charging profiles, certificates, uploaded files, and the message
log.

Foreign keys name their tables as text, so this module needs nothing from the network's tables.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, LargeBinary, SmallInteger, String, Table, Text, UniqueConstraint

from .schema_types import BigId, Json, UtcTime, metadata

# Gateway processes alive: each renews its lease while it runs; a station held by a gateway whose lease expired
# (a killed process) is offline.
gateways = Table(
    "gateways", metadata,
    Column("name", String(128), primary_key=True),
    Column("started_at", UtcTime, nullable=False),
    Column("renewed_at", UtcTime, nullable=False),
)

# A 1.6 station's configuration keys as it reported them (GetConfiguration) and as it accepted our changes
# (ChangeConfiguration); 2.0.1 stations report a device model instead (station_variables).
station_configuration = Table(
    "station_configuration", metadata,
    Column("station_id", String(64), ForeignKey("stations.id"), primary_key=True),
    Column("key", String(64), primary_key=True),  # CiString50
    Column("value", Text),
    Column("readonly", Boolean, nullable=False, default=False),
    Column("reported_at", UtcTime, nullable=False),  # when the station last told us (or accepted our change)
)

# The station's device model as it last reported it (2.0.1 NotifyReport, GetVariables and SetVariables answers):
# one row per component, variable and attribute type. A station-level component has evse 0 and connector 0.
station_variables = Table(
    "station_variables", metadata,
    Column("station_id", String(64), ForeignKey("stations.id"), primary_key=True),
    Column("component", String(50), primary_key=True),
    Column("component_instance", String(50), primary_key=True, default=""),
    Column("evse", Integer, primary_key=True, default=0),
    Column("connector", Integer, primary_key=True, default=0),
    Column("variable", String(50), primary_key=True),
    Column("variable_instance", String(50), primary_key=True, default=""),
    Column("attribute_type", String(16), primary_key=True, default="Actual"),
    Column("value", Text),  # None: reported without a value (write-only, or not readable)
    Column("mutability", String(16)),
    Column("characteristics", Json),  # unit, data type, limits and value list as reported
    Column("source", String(16), nullable=False),  # NotifyReport, GetVariables, SetVariables
    Column("updated_at", UtcTime, nullable=False),
)

# What a station last told us on one topic (firmware, log upload, charging limit, EV charging needs per EVSE, …):
# the current state, newest wins; the message log keeps the history until it is purged.
station_states = Table(
    "station_states", metadata,
    Column("station_id", String(64), ForeignKey("stations.id"), primary_key=True),
    Column("topic", String(64), primary_key=True),
    Column("value", Json, nullable=False),
    Column("updated_at", UtcTime, nullable=False),
)

# Security events a station reported (SecurityEventNotification): kept beyond the message log's retention.
security_events = Table(
    "security_events", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("station_id", String(64), ForeignKey("stations.id"), nullable=False),
    Column("at", UtcTime, nullable=False),  # as the station dated it
    Column("type", String(50), nullable=False),
    Column("tech_info", String(255)),
    Column("received_at", UtcTime, nullable=False),
    Index("ix_security_events_station", "station_id", "id"),
)

# Reservations of a connector (1.6) or EVSE (2.0.1) for one token, by the OCPP reservationId the station knows.
reservations = Table(
    "reservations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("station_id", String(64), ForeignKey("stations.id"), nullable=False),
    Column("reservation_id", Integer, nullable=False),  # the id the station knows, unique per station
    Column("connector_id", Integer, nullable=False),  # 1.6 connector (0: the whole station); 2.0.1 EVSE
    Column("id_tag", String(64), nullable=False),
    Column("group_id", String(64)),  # parentIdTag: tokens of the group may use the reservation too
    Column("expires_at", UtcTime, nullable=False),
    # Requested (sent), then the station's answer (Accepted, Faulted, Occupied, Rejected, Unavailable),
    # then Cancelled, Expired or Used (a transaction started on it)
    Column("status", String(16), nullable=False),
    Column("session_id", BigId),  # the session that used it
    Column("created_at", UtcTime, nullable=False),
    Column("updated_at", UtcTime, nullable=False),
    UniqueConstraint("station_id", "reservation_id", name="uq_reservations_station_reservation"),
)

# Charging profiles a station accepted (SetChargingProfile), until cleared, replaced or their transaction ends.
charging_profiles = Table(
    "charging_profiles", metadata,
    Column("station_id", String(64), ForeignKey("stations.id"), primary_key=True),
    Column("profile_id", Integer, primary_key=True),  # chargingProfileId (1.6) / id (2.0.1)
    Column("connector_id", Integer, nullable=False),  # 1.6 connector / 2.0.1 EVSE; 0: the whole station
    Column("stack_level", Integer, nullable=False),
    Column("purpose", String(32), nullable=False),  # ChargePointMaxProfile, TxDefaultProfile, TxProfile, ...
    Column("transaction_id", String(64)),  # a TxProfile's transaction
    Column("profile", Json, nullable=False),  # as sent, snake_case
    Column("set_at", UtcTime, nullable=False),
)

# Certificates the operator's CA issued to stations from their signing requests (SignCertificate), with their
# expiry, the station's answer to CertificateSigned, and revocation (answered to OCSP queries, refused at TLS).
station_certificates = Table(
    "station_certificates", metadata,
    Column("serial_number", String(40), primary_key=True),  # hex, lower case, as OCSP and TLS name it
    Column("station_id", String(64), ForeignKey("stations.id"), nullable=False, index=True),
    Column("certificate_type", String(32), nullable=False),  # ChargePointCertificate / ChargingStationCertificate
    Column("subject", String(255), nullable=False),
    Column("pem", Text, nullable=False),
    Column("not_before", UtcTime, nullable=False),
    Column("not_after", UtcTime, nullable=False),
    Column("issued_at", UtcTime, nullable=False),
    Column("status", String(16), nullable=False),  # Issued, then the station's answer: Accepted / Rejected
    Column("answered_at", UtcTime),
    Column("revoked_at", UtcTime),
    Column("revocation_reason", String(32)),  # an RFC 5280 reason name (keyCompromise, superseded, ...)
)

# Files stations uploaded to us (diagnostics, logs): the location we gave them carries a one-time token.
station_files = Table(
    "station_files", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("station_id", String(64), ForeignKey("stations.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # diagnostics | log
    Column("file_name", String(255), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("received_at", UtcTime, nullable=False),
)

# Every OCPP frame in and out, as received and sent (purged after its retention).
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
