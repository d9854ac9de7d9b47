"""The compiled OCPP schema check (ocpp/schema_check.py) never passes what the ocpp library's own check refuses,
and answers a refused payload with the library's error. Every schema of 1.6 and 2.0.1 is swept with payloads that
break it in the ways chargers do (missing, extra, wrongly typed, too long, out-of-enum fields)."""

from __future__ import annotations

import copy
from pathlib import Path

import ocpp
import pytest
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallResult, get_validator
from ocpp.messages import _validate_payload as library_check

from chargeledger.ocpp.schema_check import DECIMAL_CHECKED, compiled, validate

SCHEMAS = Path(ocpp.__file__).parent
VERSIONS = {"1.6": "v16", "2.0.1": "v201"}


def _messages(version: str):
    for path in sorted((SCHEMAS / VERSIONS[version] / "schemas").glob("*.json")):
        name = path.stem
        if version == "1.6":
            yield (3, name.removesuffix("Response")) if name.endswith("Response") else (2, name)
        else:
            yield (3, name.removesuffix("Response")) if name.endswith("Response") else (2, name.removesuffix("Request"))


def _outcome(check, message) -> type | None:
    try:
        check(copy.deepcopy(message), message.version)
    except OCPPError as error:
        return type(error)
    return None


def _message(kind: int, action: str, payload, version: str):
    message = Call("u1", action, payload) if kind == 2 else CallResult("u1", payload, action)
    message.version = version
    return message


def _variants(schema: dict):
    """A payload close to valid (required fields with a value of their type), then broken field by field."""
    def sample(spec: dict, depth: int = 0):
        if depth > 4:
            return None
        if "$ref" in spec:
            spec = schema.get("definitions", {}).get(spec["$ref"].rsplit("/", 1)[-1], {})
        if "enum" in spec:
            return spec["enum"][0]
        kind = spec.get("type")
        if kind == "object":
            props = spec.get("properties", {})
            return {k: sample(props.get(k, {}), depth + 1) for k in spec.get("required", [])}
        if kind == "array":
            return [sample(spec.get("items", {}), depth + 1)] * max(1, spec.get("minItems", 1))
        return {"integer": 1, "number": 1.5, "boolean": True, "string": "2024-03-01T10:00:00Z"}.get(kind, "x")

    base = sample(schema)
    yield base
    yield {}
    yield {**base, "unknownField": 1}
    yield []
    for name in base:
        yield {k: v for k, v in base.items() if k != name}
        for wrong in (None, "text", 1, 1.0, True, "x" * 2000, [base[name]], {"a": 1}):
            yield {**base, name: wrong}


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_the_compiled_check_agrees_with_the_library_on_every_schema(version):
    checked = 0
    for kind, action in _messages(version):
        check = compiled(kind, action, version)
        if (version, kind, action) in DECIMAL_CHECKED:
            assert check is None  # left to the library, which parses those floats as Decimal
            continue
        assert check is not None, f"{version} {action} ({kind}) did not compile"
        for payload in _variants(get_validator(kind, action, version).schema):
            message = _message(kind, action, payload, version)
            assert _outcome(lambda m, v: validate(m, v), message) is _outcome(library_check, message), \
                (version, action, kind, payload)
            checked += 1
    assert checked > 1000


def test_a_valid_meter_values_passes_and_a_bad_one_gets_the_library_error():
    good = {"connectorId": 1, "transactionId": 7,
            "meterValue": [{"timestamp": "2024-03-01T10:00:00Z",
                            "sampledValue": [{"value": "1500", "measurand": "Energy.Active.Import.Register"}]}]}
    validate(Call("u1", "MeterValues", good), "1.6")
    with pytest.raises(OCPPError) as compiled_error:
        validate(Call("u1", "MeterValues", {**good, "connectorId": "one"}), "1.6")
    with pytest.raises(OCPPError) as library_error:
        library_check(Call("u1", "MeterValues", {**good, "connectorId": "one"}), "1.6")
    assert type(compiled_error.value) is type(library_error.value)
    assert compiled_error.value.description == library_error.value.description
    assert compiled_error.value.details["cause"] == library_error.value.details["cause"]
