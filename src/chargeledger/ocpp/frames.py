"""Reading an incoming frame, and the CallError each OCPP version names for each way a frame can be wrong."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallError, CallResult

# 1.6 spells some codes differently from 2.0.1 (and from the library, which follows 2.0.1).
_V16_SPELLING = {"FormatViolation": "FormationViolation",
                 "OccurrenceConstraintViolation": "OccurenceConstraintViolation"}


@dataclass
class BadFrame(Exception):
    """A frame we cannot route; `kind` is what was wrong, mapped to a version's error code by `error_code`."""

    kind: str  # not_json | not_rpc | message_type
    unique_id: str
    detail: str


def error_code(kind: str, version: str) -> str:
    if version == "1.6":
        # 1.6 has no RPC framework codes: a frame that is not a well-formed PDU is a FormationViolation.
        return "FormationViolation"
    # 2.0.1 (part 4, CallError): unreadable RPC -> RpcFrameworkError, unknown type number -> MessageTypeNotSupported.
    return "MessageTypeNotSupported" if kind == "message_type" else "RpcFrameworkError"


def spelled(code: str, version: str) -> str:
    return _V16_SPELLING.get(code, code) if version == "1.6" else code


def read(raw: str | bytes) -> Call | CallResult | CallError:
    try:
        text = raw.decode() if isinstance(raw, bytes) else raw
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadFrame("not_json", "-1", f"not JSON: {exc}") from None
    if not isinstance(data, list) or len(data) < 3 or not isinstance(data[1], str):
        unique_id = data[1] if isinstance(data, list) and len(data) > 1 and isinstance(data[1], str) else "-1"
        raise BadFrame("not_rpc", unique_id, "an OCPP frame is [type, unique id, …] with a string unique id")
    kind, unique_id = data[0], data[1]
    if kind == 2:
        if len(data) != 4 or not isinstance(data[2], str) or not isinstance(data[3], dict):
            raise BadFrame("not_rpc", unique_id, "a Call is [2, unique id, action, payload object]")
        return Call(unique_id, data[2], data[3])
    if kind == 3 and len(data) == 3:
        return CallResult(unique_id, data[2])
    if kind == 4 and len(data) >= 4:
        return CallError(unique_id, data[2], data[3], data[4] if len(data) > 4 else {})
    raise BadFrame("message_type", unique_id, f"message type {kind!r} is not 2 (Call), 3 or 4 with their fields")


def error_frame(unique_id: str, code: str, description: str, cause: str) -> str:
    return CallError(unique_id, code, description, {"cause": cause[:500]}).to_json()


def from_exception(call: Call, exc: OCPPError, version: str) -> str:
    cause = exc.details.get("cause") if isinstance(exc.details, dict) else None
    return error_frame(call.unique_id, spelled(exc.code, version), exc.description, str(cause or exc.description))
