"""OCSP answers for certificates of our own CA (2.0.1 GetCertificateStatus, ISO 15118 / TC_M_24-28): the station
sends the OCSP request's certificate id (hash algorithm, issuer name and key hashes, serial number); when the issuer
is our CA we answer with a real OCSP response signed by it (good, revoked, or unknown for a serial it never issued).
For any other issuer there is no responder we can reach offline: the caller answers Failed."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from sqlalchemy import Engine

from . import issued
from .authority import Authority

_ALGORITHMS = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}  # OCPP's HashAlgorithmEnum
NEXT_UPDATE = dt.timedelta(hours=24)  # how long a station may reuse the answer (2.0.1 caches it)


class NotOurs(LookupError):
    """The certificate id names another issuer, or cannot be read."""


def _bytes(value: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except (ValueError, TypeError):
        raise NotOurs(f"{value!r} is not hex") from None


def our_hashes(authority: Authority, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    """Our CA's issuer name and key hashes as OCSP computes them (read from a request the library builds for a
    certificate the CA issues to itself: no hand-written ASN.1)."""
    request = ocsp.OCSPRequestBuilder().add_certificate(authority.certificate, authority.certificate,
                                                        algorithm).build()
    return request.issuer_name_hash, request.issuer_key_hash


def certificate_id(authority: Authority, data: dict) -> tuple[hashes.HashAlgorithm, bytes, bytes, int]:
    """An OCPP certificate id (OCSPRequestDataType / CertificateHashDataType, snake_case keys, as the ocpp library
    hands them) that names our CA as issuer: its hash algorithm, issuer name and key hashes and serial number.
    NotOurs for another issuer or what cannot be read."""
    name = str(data.get("hash_algorithm", "")).upper()
    if name not in _ALGORITHMS:
        raise NotOurs(f"hash algorithm {name!r}")
    algorithm = _ALGORITHMS[name]()
    name_hash, key_hash = _bytes(data.get("issuer_name_hash")), _bytes(data.get("issuer_key_hash"))
    if (name_hash, key_hash) != our_hashes(authority, algorithm):
        raise NotOurs("the certificate was issued by another CA")
    try:
        serial = int(str(data.get("serial_number")), 16)
    except ValueError:
        raise NotOurs(f"serial number {data.get('serial_number')!r} is not hex") from None
    return algorithm, name_hash, key_hash, serial


def respond(engine: Engine, authority: Authority, data: dict, now: dt.datetime) -> str:
    """The base64 DER OCSP response for one certificate id."""
    algorithm, name_hash, key_hash, serial = certificate_id(authority, data)
    builder = ocsp.OCSPResponseBuilder()
    found = issued.find(engine, serial)
    if found is None:
        builder = builder.add_response_by_hash(name_hash, key_hash, serial, algorithm, ocsp.OCSPCertStatus.UNKNOWN,
                                               now, now + NEXT_UPDATE, None, None)
    else:
        certificate = x509.load_pem_x509_certificate(found["pem"].encode())
        revoked = found["revoked_at"] is not None
        builder = builder.add_response(
            cert=certificate, issuer=authority.certificate, algorithm=algorithm,
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
            this_update=now, next_update=now + NEXT_UPDATE,
            revocation_time=found["revoked_at"] if revoked else None,
            revocation_reason=x509.ReasonFlags(found["revocation_reason"]) if revoked else None)
    response = (builder.responder_id(ocsp.OCSPResponderEncoding.HASH, authority.certificate)
                .sign(authority.key, hashes.SHA256()))
    return base64.b64encode(response.public_bytes(Encoding.DER)).decode()


def read(answer: str) -> ocsp.OCSPResponse:
    """An OCSP response from its base64 DER (what a station does with ocspResult)."""
    try:
        return ocsp.load_der_ocsp_response(base64.b64decode(answer, validate=True))
    except (ValueError, binascii.Error) as exc:
        raise ValueError(f"not an OCSP response: {exc}") from None
