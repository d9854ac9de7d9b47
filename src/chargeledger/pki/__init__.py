"""The operator's public key infrastructure for its stations: a certificate authority that signs the stations'
certificate signing requests (OCPP SignCertificate), the certificates it issued, their revocation, and OCSP answers
about them. Pure `cryptography` and one table; the OCPP gateway calls it (ocpp/certificate_signing.py)."""
