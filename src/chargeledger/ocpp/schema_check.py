"""The OCPP schema check of every Call and CallResult, compiled: the ocpp library's check walks each schema with
jsonschema's interpreter, which cost about 40 % of a gateway's CPU per MeterValues (cProfile, bench/scale_out.py
--profile-gateway). fastjsonschema turns each schema into Python code once.

The library's check stays the judge: a payload the compiled check passes is valid, and one it refuses is checked
again by the library, whose error (FormatViolation, TypeConstraintViolation, ProtocolError …) is the one answered.
So the compiled check may only be stricter than the library's, never looser; it reads every schema as draft 4, as
the library does (the 2.0.1 files name draft 6), and skips `format`, which the library does not check either.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import fastjsonschema
from ocpp.messages import Call, CallResult, get_validator
from ocpp.messages import _validate_payload as library_check

DRAFT_4 = "http://json-schema.org/draft-04/schema#"
# The library checks these with floats parsed as Decimal (multipleOf 0.1): leave them to it.
DECIMAL_CHECKED = {("1.6", 2, "SetChargingProfile"), ("1.6", 2, "RemoteStartTransaction"),
                   ("1.6", 3, "GetCompositeSchedule")}


@lru_cache(maxsize=None)
def compiled(message_type_id: int, action: str, version: str) -> Callable[[object], object] | None:
    """The compiled check of one schema, or None (no such schema, or one it cannot compile: the library decides)."""
    if (version, message_type_id, action) in DECIMAL_CHECKED:
        return None
    try:
        schema = dict(get_validator(message_type_id, action, version).schema)
    except (OSError, ValueError):
        return None
    schema["$schema"] = DRAFT_4
    schema.pop("$id", None)  # a urn: id would become the base of the local #/definitions references
    try:
        # use_default=False: the check must never fill defaults into the payload it reads
        return fastjsonschema.compile(schema, use_default=False, use_formats=False)
    except fastjsonschema.JsonSchemaDefinitionException:
        return None


def validate(message: Call | CallResult, version: str) -> None:
    """Raise the library's OCPPError for a payload its schema refuses; return for a valid one."""
    check = compiled(message.message_type_id, message.action, version)
    if check is not None:
        try:
            check(message.payload)
            return
        except fastjsonschema.JsonSchemaValueException:
            pass
    library_check(message, version)
