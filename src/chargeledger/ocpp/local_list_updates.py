"""Sending a station its organisation's token book (local_list.plan) within the station's limits.

The limits are what the station reported (GetConfiguration / NotifyReport / GetVariables, kept by the gateway as
answers arrive); a station that never told us is asked once first, and a station that cannot say is sent the list in
one message as before. A station that lost track of its list answers a differential update VersionMismatch: the full
list follows. Parts go in order and stop at the first one not Accepted (what the station holds is what it accepted,
local_list.accepted)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from . import commands, local_list

# Entries is asked beside ItemsPerMessage so a station that lacks the latter is not asked again each time
_ASK = {"1.6": ("GetConfiguration", {"key": list(local_list.LIMIT_KEYS_16)}),
        "2.0.1": ("GetVariables", {"getVariableData": [
            {"component": {"name": local_list.COMPONENT_201}, "variable": {"name": name}}
            for name in ("ItemsPerMessage", "Entries")]})}


async def station_limits(gateway, engine, station_id: str, version: str, by: str | None):
    """(per message, capacity), asking the station when it never reported them."""
    known = await asyncio.to_thread(local_list.limits, engine, station_id, version)
    if known is None:
        name, payload = _ASK[version]
        try:
            await gateway.command(station_id, name, payload, "operator", by)
        except (commands.ChargerError, commands.CommandRejected):
            pass  # it cannot say: the list goes as before, in one message
        known = await asyncio.to_thread(local_list.limits, engine, station_id, version)
    return known or (None, None)


async def send(gateway, engine, station_id: str, organisation: str, version: str, update_type: str,
               by: str | None) -> dict:
    """Send the book as `update_type` (Full after a VersionMismatch); local_list.TooLarge (flagged on the station's
    list state) when it cannot fit. Returns what was sent and the last answer."""
    per_message, capacity = await station_limits(gateway, engine, station_id, version, by)
    while True:
        now = datetime.now(timezone.utc)
        try:
            parts = await asyncio.to_thread(local_list.plan, engine, station_id, organisation, version, update_type,
                                            now, per_message, capacity)
        except local_list.TooLarge as refused:
            await asyncio.to_thread(local_list.too_large, engine, station_id, refused, now)
            raise
        sent: list[dict] = []
        for payload in parts:
            answer = await gateway.command(station_id, "SendLocalList", payload, "operator", by)
            sent.append(payload)
            if answer.get("status") != "Accepted":
                break
        if answer.get("status") == "VersionMismatch" and len(sent) == 1 and update_type != local_list.FULL:
            update_type = local_list.FULL
            continue
        last = sent[-1]
        return {"update_type": update_type, "version": last.get("versionNumber", last.get("listVersion")),
                "answer": answer, "entries": sum(len(p.get("localAuthorizationList") or []) for p in sent),
                "messages": len(sent), "planned_messages": len(parts)}
