"""Answering a charger's Call with the ocpp library's own steps (schema check of the request, snake_case arguments,
handler, camelCase answer, schema check of the answer) but in the event loop: the library hands each schema check to
a thread pool, two hops per message that only add GIL hand-overs and wake-ups in a server that is CPU-bound."""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Any

from ocpp.charge_point import camel_to_snake_case, remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.messages import Call

from .schema_check import validate  # the library's check, compiled (it runs it in its thread pool)

_WANTS_UNIQUE_ID: dict[Any, bool] = {}


@lru_cache(maxsize=4096)
def snake_key(key: str) -> str:
    """The library's key rule (a few regular expressions), computed once per distinct key."""
    return next(iter(camel_to_snake_case({key: None})))


def snake(data: Any) -> Any:
    if isinstance(data, dict):
        return {snake_key(k): snake(v) for k, v in data.items()}
    if isinstance(data, list):
        return [snake(v) for v in data]
    return data


def _wants_unique_id(handler) -> bool:
    function = getattr(handler, "__func__", handler)
    wants = _WANTS_UNIQUE_ID.get(function)
    if wants is None:
        wants = _WANTS_UNIQUE_ID[function] = "call_unique_id" in inspect.signature(handler).parameters
    return wants


async def answer(charge_point, msg: Call) -> str:
    """The CallResult text for `msg`; OCPPErrors (schema, handler) propagate for the caller to answer."""
    handlers = charge_point.route_map[msg.action]
    checked = not handlers.get("_skip_schema_validation", False)
    if checked:
        validate(msg, charge_point._ocpp_version)
    handler = handlers["_on_action"].__get__(charge_point)  # the class's map holds plain functions
    kwargs = snake(msg.payload)
    if _wants_unique_id(handler):
        kwargs["call_unique_id"] = msg.unique_id
    response = handler(**kwargs)
    if inspect.isawaitable(response):
        response = await response
    result = msg.create_call_result(snake_to_camel_case(remove_nones(serialize_as_dict(response))))
    if checked:
        validate(result, charge_point._ocpp_version)
    return result.to_json()
