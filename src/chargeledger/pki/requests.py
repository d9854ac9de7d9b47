"""Whether a station's certificate signing request may be signed: a well-formed PKCS#10 request signed by its own
key, naming the station (CN: its id or its serial number) and its operator (O), with a key strong enough for the
OCPP security profiles (RSA 2048 bits or more, EC 256 bits or more)."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

MIN_RSA_BITS, MIN_EC_BITS = 2048, 256


class CsrRefused(ValueError):
    """Why we will not sign; the station hears Rejected and the reason is kept for the operator."""


@dataclass(frozen=True)
class Expected:
    """Who the request must name: the station (by id or its serial number) and its organisation (id or name)."""

    station_id: str
    serial_number: str | None
    organisation_names: frozenset[str]


def _one(subject: x509.Name, oid, label: str) -> str:
    values = subject.get_attributes_for_oid(oid)
    if len(values) != 1:
        raise CsrRefused(f"the request names {len(values)} {label}s, not one")
    return str(values[0].value)


def checked(pem: str, expected: Expected) -> x509.CertificateSigningRequest:
    try:
        csr = x509.load_pem_x509_csr(pem.strip().encode())
    except ValueError:
        raise CsrRefused("not a PEM certificate signing request") from None
    if not csr.is_signature_valid:
        raise CsrRefused("the request is not signed by the key it names")
    common_name = _one(csr.subject, NameOID.COMMON_NAME, "common name")
    if common_name not in {expected.station_id, expected.serial_number} - {None}:
        raise CsrRefused(f"the common name {common_name!r} is neither the station id nor its serial number")
    organisation = _one(csr.subject, NameOID.ORGANIZATION_NAME, "organisation")
    if organisation not in expected.organisation_names:
        raise CsrRefused(f"the organisation {organisation!r} is not the station's operator")
    key = csr.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise CsrRefused(f"an RSA key of {key.key_size} bits (at least {MIN_RSA_BITS})")
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.key_size < MIN_EC_BITS:
            raise CsrRefused(f"an EC key of {key.curve.key_size} bits (at least {MIN_EC_BITS})")
    else:
        raise CsrRefused(f"a {type(key).__name__} key: RSA or EC only")
    return csr
