"""The operator's certificate authority: its certificate and key, loaded from PEM files named in the settings, or
created for a test lab (`chargeledger ca create`). It issues station certificates from checked signing requests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


class AuthorityError(ValueError):
    pass


@dataclass(frozen=True)
class Authority:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey  # or an RSA key: anything `cryptography` signs with

    @property
    def is_root(self) -> bool:
        return self.certificate.issuer == self.certificate.subject

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def issue(self, csr: x509.CertificateSigningRequest, days: int, now: dt.datetime) -> x509.Certificate:
        """A TLS client certificate (what OCPP security profile 3 needs) for the request's subject and key."""
        return (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(self.certificate.subject)
                .public_key(csr.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5))  # station clocks drift a little
                .not_valid_after(min(now + dt.timedelta(days=days), self.certificate.not_valid_after_utc))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_agreement=True, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False, key_cert_sign=False,
                                             crl_sign=False, encipher_only=False, decipher_only=False),
                               critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                               critical=False)
                .sign(self.key, hashes.SHA256()))

    def chain(self, certificate: x509.Certificate) -> str:
        """The PEM chain a station installs: its certificate, and ours when we are an intermediate (a root is the
        trust anchor the server already holds, not sent)."""
        parts = [certificate.public_bytes(serialization.Encoding.PEM).decode()]
        if not self.is_root:
            parts.append(self.pem)
        return "".join(parts)


def load(certificate_path: Path | str, key_path: Path | str) -> Authority:
    try:
        certificate = x509.load_pem_x509_certificate(Path(certificate_path).read_bytes())
        key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise AuthorityError(f"cannot load the CA from {certificate_path} and {key_path}: {exc}") from None
    if certificate.public_key().public_numbers() != key.public_key().public_numbers():
        raise AuthorityError(f"the key {key_path} is not the key of the CA certificate {certificate_path}")
    return Authority(certificate, key)


def from_settings(settings) -> Authority | None:
    """The CA the settings name (both files, or neither: no CA, signing requests are kept for the operator)."""
    if not settings.ca_certificate and not settings.ca_key:
        return None
    if not (settings.ca_certificate and settings.ca_key):
        raise AuthorityError("the CA needs both CHARGELEDGER_CA_CERTIFICATE and CHARGELEDGER_CA_KEY")
    return load(settings.ca_certificate, settings.ca_key)


def create(folder: Path, name: str, organisation: str | None = None, days: int = 3650,
           now: dt.datetime | None = None) -> tuple[Path, Path]:
    """A self-signed root CA for a test lab (EC P-256), written as ca.pem and ca.key (mode 600) in `folder`."""
    now = now or dt.datetime.now(dt.timezone.utc)
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, name)]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    subject = x509.Name(attributes)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                content_commitment=False, key_encipherment=False,
                                                data_encipherment=False, key_agreement=False, encipher_only=False,
                                                decipher_only=False), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                   .sign(key, hashes.SHA256()))
    return _write(folder, "ca", certificate, key)


def issue_server(authority: Authority, folder: Path, host_names: list[str], days: int = 825,
                 now: dt.datetime | None = None) -> tuple[Path, Path]:
    """The gateway's TLS server certificate (profiles 2 and 3) from this CA, whose certificate stations install as
    the CSMS root (InstallCertificate)."""
    import ipaddress
    now = now or dt.datetime.now(dt.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in host_names:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    certificate = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host_names[0])]))
                   .issuer_name(authority.certificate.subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(min(now + dt.timedelta(days=days), authority.certificate.not_valid_after_utc))
                   .add_extension(x509.SubjectAlternativeName(names), critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .sign(authority.key, hashes.SHA256()))
    return _write(folder, "server", certificate, key)


def _write(folder: Path, stem: str, certificate: x509.Certificate, key) -> tuple[Path, Path]:
    cert_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.touch(mode=0o600)
    key_path.chmod(0o600)  # a CA key readable by others would let them admit any station
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path
