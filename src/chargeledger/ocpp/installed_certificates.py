"""The certificates a station holds, as far as its answers tell us (InstallCertificate, GetInstalledCertificateIds,
DeleteCertificate, both versions): one list per station of {certificate_type, certificate_hash_data}, the hash data
as OCPP defines it (the OCSP certificate id: issuer name and key hashes, serial number). What we install is keyed
by the hash data we compute from the PEM we sent; a listing from the station replaces what it covers."""

from __future__ import annotations

import hashlib
from datetime import datetime

from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.hazmat.primitives import hashes
from sqlalchemy import Engine

from . import station_state

TOPIC = "installed_certificates"
LAST_INSTALL = "certificate_install"
CSMS_ROOTS = ("CentralSystemRootCertificate", "CSMSRootCertificate")  # 1.6 and 2.0.1 names of one thing


def hash_data(pem: str) -> dict | None:
    """The OCPP CertificateHashData (SHA256) of a certificate: for a self-signed one (a root: what is installed)
    from itself; otherwise the issuer key hash is unknown here and only the name hash and serial are filled."""
    try:
        certificate = x509.load_pem_x509_certificate(pem.strip().encode())
    except ValueError:
        return None
    if certificate.issuer == certificate.subject:
        request = ocsp.OCSPRequestBuilder().add_certificate(certificate, certificate, hashes.SHA256()).build()
        name_hash, key_hash = request.issuer_name_hash.hex(), request.issuer_key_hash.hex()
    else:
        name_hash, key_hash = hashlib.sha256(certificate.issuer.public_bytes()).hexdigest(), ""
    return {"hash_algorithm": "SHA256", "issuer_name_hash": name_hash, "issuer_key_hash": key_hash,
            "serial_number": format(certificate.serial_number, "x")}


def _held(engine: Engine, station_id: str) -> dict:
    return station_state.recall(engine, station_id, TOPIC) or {"certificates": []}


def _same(a: dict, b: dict) -> bool:
    """Hash data compare by serial and issuer name hash (hex case and leading zeros vary between stations)."""
    def key(d):
        return int(str(d.get("serial_number") or "0"), 16), str(d.get("issuer_name_hash") or "").lower()
    try:
        return key(a) == key(b)
    except ValueError:
        return a == b


def installed(engine: Engine, station_id: str, kind: str, pem: str, status: str, at: datetime,
              by: str | None) -> None:
    station_state.remember(engine, station_id, LAST_INSTALL, {"certificate_type": kind, "status": status,
                                                               "at": at.isoformat(), "by": by}, at)
    data = hash_data(pem)
    if status != "Accepted" or data is None:
        return
    held = _held(engine, station_id)
    kept = [c for c in held["certificates"] if not _same(c["certificate_hash_data"], data)]
    kept.append({"certificate_type": kind, "certificate_hash_data": data, "installed_at": at.isoformat()})
    station_state.remember(engine, station_id, TOPIC, {**held, "certificates": kept}, at)


def listed(engine: Engine, station_id: str, kinds: list[str] | None, items: list[dict], at: datetime) -> None:
    """The station's own list (of the `kinds` asked, or all) replaces ours for those kinds."""
    held = _held(engine, station_id)
    kept = [c for c in held["certificates"] if kinds and c.get("certificate_type") not in kinds]
    station_state.remember(engine, station_id, TOPIC, {"certificates": [*kept, *items], "read_at": at.isoformat()},
                           at)


def deleted(engine: Engine, station_id: str, data: dict, at: datetime) -> None:
    held = _held(engine, station_id)
    kept = [c for c in held["certificates"] if not _same(c["certificate_hash_data"], data)]
    station_state.remember(engine, station_id, TOPIC, {**held, "certificates": kept}, at)


def holds_csms_root(engine: Engine, station_id: str) -> bool:
    return any(c.get("certificate_type") in CSMS_ROOTS for c in _held(engine, station_id)["certificates"])
