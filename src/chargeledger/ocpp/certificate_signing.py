"""A station's certificate signing request (1.6 security extension and 2.0.1 SignCertificate, A02/A03), the same
for both versions: with the operator's CA configured, a request naming the station and its operator is answered
Accepted and, once that answer is out, signed and sent back with CertificateSigned; the certificate is stored with
its expiry and the station's answer (pki/issued.py). A request we will not sign is answered Rejected with the reason
kept. Without a CA the request is kept for the operator (Accepted), whose own CA signs it out of band.

We sign only the station's own TLS client certificate: a 2.0.1 V2GCertificate belongs to the ISO 15118 V2G PKI,
which we do not run, and is refused."""

from __future__ import annotations

import logging
from datetime import datetime

from cryptography import x509
from sqlalchemy import Engine, select

from ..pki import issued
from ..pki.requests import CsrRefused, Expected, checked
from ..storage.tables import organisations, stations
from . import commands, station_files
from .connection import utcnow

log = logging.getLogger(__name__)
TOPIC = "certificate_signing"  # the station's current signing state, on its page and in the API
OWN_CERTIFICATE = {"1.6": "ChargePointCertificate", "2.0.1": "ChargingStationCertificate"}


def expected(engine: Engine, station_id: str) -> Expected:
    with engine.connect() as conn:
        row = conn.execute(select(stations.c.serial_number, organisations.c.id, organisations.c.name)
                           .join(organisations, organisations.c.id == stations.c.organisation_id)
                           .where(stations.c.id == station_id)).one()
    return Expected(station_id, row.serial_number, frozenset({row.id, row.name}))


async def requested(cp, csr: str, certificate_type: str | None) -> tuple[str, str | None]:
    """The answer to SignCertificate, and why when Rejected. Schedules the signing after the answer."""
    gateway, station_id, now = cp.gateway, cp.station.id, utcnow()
    kind = certificate_type or OWN_CERTIFICATE[cp.version]
    state = {"csr": csr, "certificate_type": kind, "received_at": now.isoformat()}
    authority = gateway.settings.authority
    reason = None
    if authority is None:
        state["status"] = "Received"  # for the operator, whose CA signs it
    elif kind not in OWN_CERTIFICATE.values():
        reason = "V2G certificates are issued by the ISO 15118 V2G PKI, which this CSMS does not run"
    else:
        try:
            request = checked(csr, await cp.read(expected, gateway.engine, station_id))
        except CsrRefused as exc:
            reason = str(exc)
        else:
            state["status"] = "Accepted"
            cp.after_answer(_sign_and_send(cp, request, kind))
    if reason:
        state.update(status="Rejected", reason=reason)
        log.warning("refused to sign a certificate request of %s: %s", station_id, reason)
    await cp.db(station_files.remember, gateway.engine, station_id, TOPIC, state, now)
    return ("Rejected" if reason else "Accepted"), reason


async def _sign_and_send(cp, request: x509.CertificateSigningRequest, kind: str) -> None:
    try:
        await _deliver(cp, request, kind)
    except Exception:  # noqa: BLE001 - a background task: said in the log, not lost in the event loop
        log.exception("could not sign or deliver a certificate for %s", cp.station.id)


async def _deliver(cp, request: x509.CertificateSigningRequest, kind: str) -> None:
    gateway, station_id = cp.gateway, cp.station.id
    authority, now = gateway.settings.authority, utcnow()
    certificate = authority.issue(request, gateway.settings.station_certificate_days, now)
    row = await cp.db(issued.record, gateway.engine, station_id, kind, certificate, now)
    await cp.db(station_files.remember, gateway.engine, station_id, TOPIC,
                {"status": "Signed", "serial_number": row["serial_number"], "not_after": row["not_after"].isoformat(),
                 "signed_at": now.isoformat()}, now)
    payload = {"certificateChain": authority.chain(certificate)}
    if cp.version == "2.0.1":
        payload["certificateType"] = kind
    try:
        await gateway.command(station_id, "CertificateSigned", payload, source="operator", by="certificate authority")
    except commands.CommandFailed as exc:  # the station may ask again (its CertSigningRepeatTimes)
        log.warning("could not deliver the certificate %s to %s: %s", row["serial_number"], station_id, exc)
        await cp.db(station_files.remember, gateway.engine, station_id, TOPIC,
                    {"status": "Not delivered", "reason": str(exc)}, utcnow())


def answered(engine: Engine, station_id: str, chain: str, status: str, at: datetime) -> None:
    """The station's answer to CertificateSigned (ours or one the operator sent through the command route)."""
    serial = None
    try:
        serial = issued.serial_hex(x509.load_pem_x509_certificates(chain.encode())[0].serial_number)
    except ValueError:
        pass  # not a certificate we can read: only the signing state records the answer
    found = issued.find(engine, serial) if serial else None
    station_files.remember(engine, station_id, TOPIC, {
        "status": "Installed" if status == "Accepted" else f"Refused ({status})", "signed_at": at.isoformat(),
        **({"serial_number": serial} if found else {})}, at)
    if found is not None and found["station_id"] == station_id:  # last: the row's answer says all is recorded
        issued.answered(engine, serial, status, at)
