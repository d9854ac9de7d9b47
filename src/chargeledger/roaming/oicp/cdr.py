"""One session as an OICP 2.3 ChargeDetailRecord (eRoamingChargeDetailRecord body)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from ..cdr_model import end_of, kwh, roaming_of, token_of

# Stable: the same session always gets the same Hubject SessionID (Hubject accepts one CDR per SessionID).
_NAMESPACE = uuid.UUID("5f0c1d2e-8a4b-4c6d-9e7f-0a1b2c3d4e5f")


def oicp_time(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z") if moment \
        else None


def _kwh(value) -> float | None:
    return float(Decimal(value).quantize(Decimal("0.001"))) if value is not None else None


def _identification(row) -> dict[str, Any]:
    token = token_of(row)
    # OICP wants exactly one identification kind.
    if token.get("id_token"):
        return {"RFIDMifareFamilyIdentification": {"UID": token["id_token"]}}
    if token.get("contract_id"):
        return {"RemoteIdentification": {"EvcoID": token["contract_id"]}}
    return {"RFIDMifareFamilyIdentification": {"UID": row.id_token or "UNKNOWN"}}


def _guid(text: str | None) -> str | None:
    """The text as a GUID when it is one (Hubject's SessionID must be), else None."""
    try:
        return str(uuid.UUID(text)) if text else None
    except ValueError:
        return None


def _meters(start_wh, stop_wh) -> tuple[float | None, float | None]:
    """Meter start and end in kWh; neither when the end is below the start (a replaced or reset meter): OICP's
    readings are optional, and a falling register would tell the eMSP energy flowed back."""
    if start_wh is None or stop_wh is None:
        return (_kwh(Decimal(str(start_wh)) / 1000) if start_wh is not None else None,
                _kwh(Decimal(str(stop_wh)) / 1000) if stop_wh is not None else None)
    start, stop = Decimal(str(start_wh)) / 1000, Decimal(str(stop_wh)) / 1000
    return (None, None) if stop < start else (_kwh(start), _kwh(stop))


def oicp_cdr(row) -> dict[str, Any]:
    roaming = roaming_of(row)
    summary = row.summary or {}
    end = end_of(row)
    meter_start, meter_end = _meters(summary.get("meter_start_wh"), summary.get("meter_stop_wh"))
    # Hubject's own session ID when it sent a GUID; otherwise ours, stable per session
    session_id = _guid(roaming.get("roaming_cdr_id")) if roaming.get("network") == "Hubject" else None
    record = {
        "SessionID": session_id or str(uuid.uuid5(_NAMESPACE, row.external_key)),
        "CPOPartnerSessionID": str(row.session_id),
        "EMPPartnerSessionID": roaming.get("partner_transaction_id"),
        "PartnerProductID": "DC" if row.current_type == "DC" else "AC3",
        "EvseID": row.evse_id,
        "Identification": _identification(row),
        "ChargingStart": oicp_time(row.started_at), "ChargingEnd": oicp_time(end),
        "SessionStart": oicp_time(row.created_at or row.started_at), "SessionEnd": oicp_time(end),
        "MeterValueStart": meter_start, "MeterValueEnd": meter_end,
        "ConsumedEnergy": _kwh(kwh(row)),
        "HubOperatorID": roaming.get("operator_id"),
        "HubProviderID": roaming.get("provider_id"),
    }
    return {k: v for k, v in record.items() if v is not None}
