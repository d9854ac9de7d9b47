"""How a session was started, in the operator's words, from whatever the charger or partner reported."""

from __future__ import annotations

from enum import StrEnum


class StartSource(StrEnum):
    PLUG_AND_CHARGE = "Plug and Charge"
    RFID = "RFID"
    INSTANT = "Instant"
    AUTO_START = "Auto-start"
    SCHEDULED = "Scheduled"
    SMART_CHARGE = "Smart charge"
    MOBILE_APP = "Mobile app"
    REMOTE = "Remote"
    API = "API"


# Raw values seen from OCPP 1.6/2.0.1 id token types and trigger reasons, roaming auth methods and datasets.
_RAW = {
    "iso15118certificate": StartSource.PLUG_AND_CHARGE, "emaid": StartSource.PLUG_AND_CHARGE,
    "plugandcharge": StartSource.PLUG_AND_CHARGE, "pnc": StartSource.PLUG_AND_CHARGE,
    "iso14443": StartSource.RFID, "iso15693": StartSource.RFID, "rfid": StartSource.RFID,
    "auth_request": StartSource.RFID, "whitelist": StartSource.RFID, "localauth": StartSource.RFID,
    "keycode": StartSource.INSTANT, "onetime": StartSource.INSTANT, "instant": StartSource.INSTANT,
    "creditcard": StartSource.INSTANT, "directpayment": StartSource.INSTANT,
    "noauthorization": StartSource.AUTO_START, "autostart": StartSource.AUTO_START, "freevend": StartSource.AUTO_START,
    "local": StartSource.AUTO_START, "evconnected": StartSource.AUTO_START,
    "scheduled": StartSource.SCHEDULED, "chargingratechanged": StartSource.SMART_CHARGE,
    "smartcharge": StartSource.SMART_CHARGE, "smart": StartSource.SMART_CHARGE,
    "app": StartSource.MOBILE_APP, "android": StartSource.MOBILE_APP, "ios": StartSource.MOBILE_APP,
    "mobile": StartSource.MOBILE_APP, "app_user": StartSource.MOBILE_APP,
    "central": StartSource.REMOTE, "remotestart": StartSource.REMOTE, "remotestarttransaction": StartSource.REMOTE,
    "requeststarttransaction": StartSource.REMOTE, "command": StartSource.REMOTE, "admin": StartSource.REMOTE,
    "api": StartSource.API, "web": StartSource.API,
    "operator": StartSource.REMOTE, "roaming": StartSource.REMOTE,  # who asked for a 2.0.1 remote start
}


def classify_start_source(raw: str) -> StartSource | None:
    key = raw.strip().lower().replace(" ", "").replace("-", "")
    return _RAW.get(key)


def start_source_of(raw: str | None, token_type: str | None) -> StartSource | None:
    """What the charger or partner reported; failing that, the type of the token that authorised the session (a 2.0.1
    transaction may start at the plug, trigger CablePluggedIn, and be authorised after; an import may give only it)."""
    source = classify_start_source(raw) if raw else None
    if source is None and token_type:
        source = classify_start_source(token_type)
    return source
