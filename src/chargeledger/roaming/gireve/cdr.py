"""A CDR for Girève: the OCPI CDR, with the Advenir anonymised token for sessions that were not roamed."""

from __future__ import annotations

from typing import Any

from ..cdr_model import roaming_of
from ..ocpi.cdr import ocpi_cdr

# Girève's Advenir rules: non-roaming consumption is sent with this token (values confirmed at onboarding).
ADVENIR_TOKEN = {"country_code": "$$", "party_id": "ADV", "uid": "12345671234567", "type": "RFID",
                 "contract_id": "Gireve2Advenir"}


def gireve_cdr(row, credit_of: str | None = None, issued_at=None) -> dict[str, Any]:
    cdr = ocpi_cdr(row, credit_of, issued_at)
    if not roaming_of(row):
        cdr["cdr_token"] = dict(ADVENIR_TOKEN)
    return cdr
