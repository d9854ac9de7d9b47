"""Certificates our CA issued to stations: stored at issue with their expiry, then the station's answer to
CertificateSigned, and revocation by the operator. Serial numbers are lower-case hex, as OCSP requests and the
TLS layer name them."""

from __future__ import annotations

from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import Engine, select, update

from ..storage.tables import station_certificates

# RFC 5280 reasons an operator gives (x509.ReasonFlags values)
REASONS = ("unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
           "cessationOfOperation", "certificateHold", "privilegeWithdrawn")


class UnknownCertificate(LookupError):
    pass


def serial_hex(serial: int | str) -> str:
    """One spelling of a serial number: lower-case hex without leading zeros (TLS gives upper case, OCSP requests
    may carry leading zeros)."""
    value = serial if isinstance(serial, int) else int(str(serial), 16)
    return format(value, "x")


def record(engine: Engine, station_id: str, kind: str, certificate: x509.Certificate, at: datetime) -> dict:
    row = {"serial_number": serial_hex(certificate.serial_number), "station_id": station_id,
           "certificate_type": kind, "subject": certificate.subject.rfc4514_string()[:255],
           "pem": certificate.public_bytes(serialization.Encoding.PEM).decode(),
           "not_before": certificate.not_valid_before_utc, "not_after": certificate.not_valid_after_utc,
           "issued_at": at, "status": "Issued"}
    with engine.begin() as conn:
        conn.execute(station_certificates.insert().values(**row))
    return row


def answered(engine: Engine, serial: str, status: str, at: datetime) -> None:
    """The station's answer to CertificateSigned: Accepted (installed) or Rejected."""
    c = station_certificates.c
    with engine.begin() as conn:
        conn.execute(update(station_certificates).where(c.serial_number == serial_hex(serial))
                     .values(status=status[:16], answered_at=at))


def revoke(engine: Engine, serial: str, reason: str, at: datetime) -> dict:
    """Revoked from now on: OCSP answers revoked, and the gateway refuses it at the TLS handshake. Revoking again
    keeps the first time and reason."""
    if reason not in REASONS:
        raise ValueError(f"reason {reason!r}: one of {', '.join(REASONS)}")
    c = station_certificates.c
    with engine.begin() as conn:
        found = conn.execute(select(station_certificates).where(c.serial_number == serial_hex(serial))).first()
        if found is None:
            raise UnknownCertificate(f"no certificate {serial} issued by our CA")
        if found.revoked_at is None:
            conn.execute(update(station_certificates).where(c.serial_number == found.serial_number)
                         .values(revoked_at=at, revocation_reason=reason))
    return find(engine, found.serial_number)


def find(engine: Engine, serial: str | int) -> dict | None:
    try:
        key = serial_hex(serial)
    except ValueError:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(station_certificates)
                           .where(station_certificates.c.serial_number == key)).first()
    return dict(row._mapping) if row else None


def of_station(engine: Engine, station_id: str) -> list[dict]:
    c = station_certificates.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.serial_number, c.station_id, c.certificate_type, c.subject, c.not_before,
                                   c.not_after, c.issued_at, c.status, c.answered_at, c.revoked_at,
                                   c.revocation_reason)
                            .where(c.station_id == station_id).order_by(c.issued_at.desc())).all()
    return [dict(r._mapping) for r in rows]


def installed(engine: Engine, station_id: str, at: datetime) -> dict | None:
    """The station's newest certificate it accepted that is neither expired nor revoked (profile 3 works with it)."""
    return next((r for r in of_station(engine, station_id) if r["status"] == "Accepted"
                 and r["revoked_at"] is None and r["not_before"] <= at < r["not_after"]), None)
