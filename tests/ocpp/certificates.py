"""Real X.509 certificates for the TLS tests, made with `cryptography`: a CA, a server certificate for localhost,
and client certificates issued by the CA to stations (OCPP security profile 3)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(folder: Path, stem: str, certificate, key) -> tuple[str, str]:
    cert_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


class Authority:
    """A certificate authority of the test's own, writing its files into `folder`."""

    def __init__(self, folder: Path, name: str = "ChargeLedger test CA"):
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.timezone.utc)
        self.certificate = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
                            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
                            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                            .sign(self.key, hashes.SHA256()))
        self.path, _ = _write(folder, name.replace(" ", "-"), self.certificate, self.key)

    def issue(self, common_name: str, server: bool = False) -> tuple[str, str]:
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.timezone.utc)
        builder = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(self.certificate.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server
                                                         else ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False))
        if server:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        return _write(self.folder, common_name, builder.sign(self.key, hashes.SHA256()), key)


def signing_request(common_name: str, organisation: str | None, key=None) -> tuple[str, object]:
    """A station's certificate signing request (PEM) and its key; EC P-256 unless a key is given."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attributes)).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode(), key


def client_context(folder: Path, ca_path: str, chain: str | None = None, key=None) -> ssl.SSLContext:
    """A station's TLS context: it trusts `ca_path` (the CSMS root it installed) and, given its certificate chain
    and key, presents them (profile 3)."""
    context = ssl.create_default_context(cafile=ca_path)
    if chain is not None:
        stem = folder / f"station-{x509.load_pem_x509_certificates(chain.encode())[0].serial_number:x}"
        Path(f"{stem}.pem").write_text(chain)
        Path(f"{stem}.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
        context.load_cert_chain(f"{stem}.pem", f"{stem}.key")
    return context


class Lab:
    """An operator's test lab as `chargeledger ca create` makes it: a CA (ChargeLedger's own code) and the
    gateway's TLS certificate from it, in `folder`."""

    def __init__(self, folder: Path, organisation: str = "ACME Charging"):
        from chargeledger.pki import authority
        self.folder = folder
        cert, key = authority.create(folder, "Lab CA", organisation)
        self.ca = authority.load(cert, key)
        self.ca_path = str(cert)
        self.server = tuple(str(p) for p in authority.issue_server(self.ca, folder, ["localhost", "127.0.0.1"]))

    def gateway_settings(self, **more) -> dict:
        """Plain ws (profile 1) on the gateway's port, wss (profiles 2 and 3) on its TLS port, our CA signing."""
        from chargeledger.ocpp.settings import GatewaySettings
        return {"ssl_context": GatewaySettings.tls(*self.server, client_ca=self.ca_path), "tls_port": 0,
                "authority": self.ca, **more}

    def client(self, chain: str | None = None, key=None):
        return client_context(self.folder, self.ca_path, chain, key)
