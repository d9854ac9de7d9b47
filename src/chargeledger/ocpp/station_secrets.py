"""A station's secret settings, for both OCPP versions: its HTTP Basic password (security profiles 1 and 2), set by
2.0.1 SetVariables SecurityCtrlr.BasicAuthPassword or 1.6 ChangeConfiguration AuthorizationKey.

Such a value is never kept where people read: not in the device model or the station's configuration, not in the
message log, not in the audit trail. What the station took becomes its password, kept only as a hash
(registry.set_station_password, the one way station passwords are stored and checked)."""

from __future__ import annotations

HIDDEN = "(secret)"
VARIABLES = frozenset({("SecurityCtrlr", "BasicAuthPassword")})  # 2.0.1 (component, variable)
KEYS = frozenset({"authorizationkey"})  # 1.6 configuration keys (CiString: compared case-insensitively)


def is_secret(component: dict, variable: dict) -> bool:
    """A 2.0.1 component and variable (as dicts with a name) that hold a secret."""
    return (component.get("name"), variable.get("name")) in VARIABLES


def is_secret_key(key) -> bool:
    return isinstance(key, str) and key.lower() in KEYS


def redacted(action: str | None, payload):
    """A command's payload or a station's answer (camelCase, as on the wire and in the API) with secrets hidden."""
    if not isinstance(payload, dict):
        return payload
    if action == "SetVariables" and isinstance(payload.get("setVariableData"), list):
        return {**payload, "setVariableData": [
            {**item, "attributeValue": HIDDEN} if isinstance(item, dict) and is_secret(
                item.get("component") or {}, item.get("variable") or {}) else item
            for item in payload["setVariableData"]]}
    if action == "ChangeConfiguration" and is_secret_key(payload.get("key")):
        return {**payload, "value": HIDDEN}
    if action == "GetConfiguration":  # its answer, as on the wire or as the gateway returns it (snake_case)
        for field in ("configurationKey", "configuration_key"):
            if isinstance(payload.get(field), list):
                return {**payload, field: [
                    {**item, "value": HIDDEN} if isinstance(item, dict) and is_secret_key(item.get("key")) and
                    item.get("value") is not None else item for item in payload[field]]}
    return payload


def mentions_secret(text: str) -> bool:
    """Cheap test before a frame is parsed to be redacted: most frames name no secret."""
    return "BasicAuthPassword" in text or "authorizationkey" in text.lower()
