"""The certificates a simulated charger holds: installed from the back office, listed and deleted by their hash
data. A real charger parses the certificate; this one checks it is a PEM certificate and keys it by its digest."""

from __future__ import annotations

import hashlib

_BEGIN = "-----BEGIN CERTIFICATE-----"


def hash_data(pem: str) -> dict:
    digest = hashlib.sha256(pem.encode()).hexdigest()
    return {"hash_algorithm": "SHA256", "issuer_name_hash": digest[:64], "issuer_key_hash": digest[::-1][:64],
            "serial_number": digest[:16]}


class CertificateStore:
    def __init__(self):
        self.installed: dict[str, list[tuple[dict, str]]] = {}  # certificate type -> [(hash data, pem)]

    def install(self, kind: str, pem: str) -> bool:
        if not pem.strip().startswith(_BEGIN):
            return False
        self.installed.setdefault(kind, []).append((hash_data(pem), pem))
        return True

    def ids(self, kinds: list[str] | None) -> list[tuple[str, dict]]:
        return [(kind, data) for kind, items in self.installed.items() if not kinds or kind in kinds
                for data, _ in items]

    def delete(self, wanted: dict) -> bool:
        serial = wanted.get("serial_number")
        for kind, items in self.installed.items():
            kept = [(data, pem) for data, pem in items if data["serial_number"] != serial]
            if len(kept) != len(items):
                self.installed[kind] = kept
                return True
        return False
