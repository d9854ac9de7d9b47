"""GetVariables and SetVariables within the station's own limit: a station says how many items one message may
carry (DeviceDataCtrlr.ItemsPerMessage, instance GetVariables / SetVariables; B06.FR.x, B05.FR.x, TC_B_08). A
longer request from the operator goes out as several messages, and their results come back as one answer."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from ocpp.v201 import call_result

from ..device_model import device_model

_LISTS = {"GetVariables": ("get_variable_data", "get_variable_result", call_result.GetVariables),
          "SetVariables": ("set_variable_data", "set_variable_result", call_result.SetVariables)}


def items_per_message(engine, station_id: str, name: str) -> int | None:
    for row in device_model(engine, station_id, "DeviceDataCtrlr"):
        if row["variable"] == "ItemsPerMessage" and row["variable_instance"] == name and row["attribute_type"] == \
                "Actual" and (row["value"] or "").isdigit() and int(row["value"]) > 0:
            return int(row["value"])
    return None


async def send(cp, request, send_one, engine):
    """`send_one(request)` sends one message; a request over the station's limit goes in several."""
    name = type(request).__name__
    if name not in _LISTS:
        return await send_one(request)
    field, result_field, result_class = _LISTS[name]
    items = getattr(request, field) or []
    limit = await asyncio.to_thread(items_per_message, engine, cp.station.id, name)
    if limit is None or len(items) <= limit:
        return await send_one(request)
    results = []
    for start in range(0, len(items), limit):
        answer = await send_one(replace(request, **{field: items[start:start + limit]}))
        results.extend(getattr(answer, result_field) or [])
    return result_class(**{result_field: results})

