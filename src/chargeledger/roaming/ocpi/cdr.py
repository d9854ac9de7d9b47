"""One settlement version of a session as an OCPI 2.2.1 CDR object; a later version first credits the earlier one."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from ..cdr_model import CdrRefused, alpha3, cdr_id, end_of, hours, kwh, operator_party, party, roaming_of, token_of

CONNECTOR_STANDARD = {"Type 2": "IEC_62196_T2", "Type 1": "IEC_62196_T1", "CCS": "IEC_62196_T2_COMBO",
                      "CHAdeMO": "CHADEMO", "Domestic": "DOMESTIC_F", "Tesla": "TESLA_S"}
# Where CCS is built on the Type 1 inlet (CCS1): North America, South Korea, Taiwan
_CCS1_COUNTRIES = frozenset({"US", "CA", "MX", "PR", "KR", "TW"})
_SINGLE_PHASE = {"Type 1", "Domestic"}  # SAE J1772 and household plugs carry one phase
_CABLE = {"Type 1", "CCS", "CHAdeMO", "Tesla"}  # these come on the station's cable; Type 2 AC usually a socket


def connector(standard: str | None, current_type: str | None, country: str | None) -> dict[str, str]:
    """OCPI connector standard, format and power type of our connector, by the site's region."""
    name = standard or ""
    code = CONNECTOR_STANDARD.get(name, "IEC_62196_T2")
    if name == "CCS" and (country or "").upper() in _CCS1_COUNTRIES:
        code = "IEC_62196_T1_COMBO"
    dc = current_type == "DC" or name in ("CCS", "CHAdeMO")
    power = "DC" if dc else ("AC_1_PHASE" if name in _SINGLE_PHASE else "AC_3_PHASE")
    return {"connector_standard": code, "connector_format": "CABLE" if dc or name in _CABLE else "SOCKET",
            "connector_power_type": power}
_AUTH = {"RFID": "WHITELIST", "Mobile app": "COMMAND", "Remote": "COMMAND", "API": "COMMAND"}


def ocpi_time(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _number(value, places: str = "0.0001") -> float | None:
    # OCPI numbers are JSON numbers with 4 decimals; quantize in Decimal first so no float error creeps in.
    return float(Decimal(value).quantize(Decimal(places))) if value is not None else None


def _price(excl, incl, sign: int = 1) -> dict[str, Any] | None:
    if excl is None:
        return None
    price = {"excl_vat": _number(Decimal(excl) * sign)}
    if incl is not None:
        price["incl_vat"] = _number(Decimal(incl) * sign)
    return price


def _token(row) -> dict[str, Any]:
    token = token_of(row)
    emsp = party(roaming_of(row).get("provider_id"), "-") or operator_party(row)
    uid = token.get("id_token") or token.get("contract_id") or token.get("shared_id") or row.id_token or "UNKNOWN"
    kind = "RFID" if token.get("id_token") else ("APP_USER" if token.get("contract_id") else "OTHER")
    return {"country_code": emsp.country_code if emsp else "", "party_id": emsp.party_id if emsp else "",
            "uid": uid, "type": kind, "contract_id": token.get("contract_id") or uid}


def _location(row) -> dict[str, Any]:
    if row.latitude is None or row.longitude is None:
        # OCPI 2.2.1 CdrLocation requires coordinates; a made-up point would mislead the eMSP, so refuse.
        raise CdrRefused(f"session {row.session_id}: site {row.site_id or '(none)'} has no latitude/longitude, "
                         "which an OCPI CDR location requires; CDR not exported")
    location = {
        "id": row.site_id or "", "name": row.site_name, "address": row.site_address or "",
        "city": row.site_city or "", "postal_code": row.site_zip or None, "country": alpha3(row.site_country) or "",
        "evse_uid": row.evse_id or "", "evse_id": row.evse_id or "", "connector_id": str(row.connector_id or 1),
        **connector(row.connector_standard, row.current_type, row.site_country),
        "coordinates": {"latitude": f"{Decimal(row.latitude):f}", "longitude": f"{Decimal(row.longitude):f}"},
    }
    return {k: v for k, v in location.items() if v is not None}


def ocpi_cdr(row, credit_of: str | None = None, issued_at: datetime | None = None) -> dict[str, Any]:
    """The CDR of this settlement version; with `credit_of`, its credit CDR (negative total_cost, same data),
    issued at `issued_at` (the re-pricing that replaced it: its last_updated)."""
    cpo = operator_party(row)
    end = end_of(row)
    energy = kwh(row)
    # OCPI: total_time is the whole session, end − start; its TIME dimension is the charging part, without
    # the parking time, which is its own dimension (so TIME + PARKING_TIME = total_time)
    total_time = hours(row.started_at, end)
    parking = min(Decimal(row.total_parking_time_hours or 0), total_time)
    dimensions = [{"type": "ENERGY", "volume": _number(energy)},
                  {"type": "TIME", "volume": _number(total_time - parking)}]
    if parking:
        dimensions.append({"type": "PARKING_TIME", "volume": _number(parking)})
    own_id = cdr_id(row.session_id, row.settlement_version)
    cdr: dict[str, Any] = {
        "country_code": cpo.country_code if cpo else "", "party_id": cpo.party_id if cpo else "",
        "id": f"{own_id}-C" if credit_of else own_id,
        "start_date_time": ocpi_time(row.started_at), "end_date_time": ocpi_time(end),
        "session_id": str(row.session_id),
        "cdr_token": _token(row),
        "auth_method": _AUTH.get((row.summary or {}).get("start_source") or "", "AUTH_REQUEST"),
        "cdr_location": _location(row),
        "currency": row.price_currency,
        "charging_periods": [{"start_date_time": ocpi_time(row.started_at), "dimensions": dimensions,
                              **({"tariff_id": row.tariff_id} if row.tariff_id else {})}],
        "total_cost": _price(row.total_cost_excl_vat, row.total_cost_incl_vat, -1 if credit_of else 1),
        "total_fixed_cost": _price(row.total_fixed_cost_excl_vat, row.total_fixed_cost_incl_vat),
        "total_energy": _number(energy),
        "total_energy_cost": _price(row.total_energy_cost_excl_vat, row.total_energy_cost_incl_vat),
        "total_time": _number(total_time),
        "total_time_cost": _price(row.total_time_cost_excl_vat, row.total_time_cost_incl_vat),
        "total_parking_time": _number(parking) if row.total_parking_time_hours is not None else None,
        "total_parking_cost": _price(row.total_parking_cost_excl_vat, row.total_parking_cost_incl_vat),
        "total_reservation_cost": _price(row.total_reservation_cost_excl_vat, row.total_reservation_cost_incl_vat),
        "remark": (row.summary or {}).get("stop_reason"),
        "last_updated": ocpi_time(issued_at if credit_of and issued_at else row.settled_at),
    }
    if credit_of:
        cdr["credit"] = True
        cdr["credit_reference_id"] = credit_of
    return {k: v for k, v in cdr.items() if v is not None}
