"""ISO 15118 contract certificates presented in Authorize (2.0.1 C07, TC_C_50-52): the station sends the certificate
ids of the EV's contract certificate chain (iso15118CertificateHashData). Where our CA issued the certificate we
know it: issued and valid (Accepted), revoked by the operator (CertificateRevoked), past its validity
(CertificateExpired), or a serial our CA never issued (CertChainError). A chain of another Mobility Operator's PKI
can only be checked by that operator's OCSP responder, which we do not reach (offline): CertChainError, as for a
chain we cannot build."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from . import issued, ocsp
from .authority import Authority

ACCEPTED, REVOKED, EXPIRED, CHAIN_ERROR = "Accepted", "CertificateRevoked", "CertificateExpired", "CertChainError"


def certificate_status(engine: Engine, authority: Authority | None, hash_data: list[dict], now: datetime) -> str:
    """The Authorize certificateStatus for the chain named by `hash_data` (snake_case, as the library reads it):
    every certificate of ours in it must be one we issued, unrevoked and valid now."""
    ours = []
    for data in hash_data if authority is not None else []:
        try:
            ours.append(ocsp.certificate_id(authority, data)[3])
        except ocsp.NotOurs:
            continue  # a sub-CA or root of another PKI: not ours to judge
    if not ours:
        return CHAIN_ERROR
    for serial in ours:
        found = issued.find(engine, serial)
        if found is None:
            return CHAIN_ERROR
        if found["revoked_at"] is not None:
            return REVOKED
        if not found["not_before"] <= now < found["not_after"]:
            return EXPIRED
    return ACCEPTED
