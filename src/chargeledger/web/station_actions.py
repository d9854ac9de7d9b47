"""The station page's operator side: recent sessions (each connector's live one first) and the commands the
signed-in user may send from the page, with their payloads per OCPP version."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from ..access.rights import Caller, Right
from ..storage.tables import sessions, sites
from .session_page import ACTIVE

# (label, command, payload) per version: what an operator does most on a charge point, one click each.
COMMANDS = {
    "1.6": [("Refresh status", "TriggerMessage", {"requestedMessage": "StatusNotification"}),
            ("Read configuration", "GetConfiguration", {}),
            ("Unlock connector 1", "UnlockConnector", {"connectorId": 1}),
            ("Make unavailable", "ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}),
            ("Make available", "ChangeAvailability", {"connectorId": 0, "type": "Operative"}),
            ("Restart (soft reset)", "Reset", {"type": "Soft"})],
    "2.0.1": [("Refresh status", "TriggerMessage", {"requestedMessage": "StatusNotification"}),
              ("Read configuration", "GetBaseReport", {"requestId": 1, "reportBase": "ConfigurationInventory"}),
              ("Unlock connector 1", "UnlockConnector", {"evseId": 1, "connectorId": 1}),
              ("Make unavailable", "ChangeAvailability", {"operationalStatus": "Inoperative"}),
              ("Make available", "ChangeAvailability", {"operationalStatus": "Operative"}),
              ("Restart (reset)", "Reset", {"type": "Immediate"})],
}


def station_actions(engine: Engine, caller: Caller, station: dict[str, Any]) -> dict[str, Any]:
    with engine.connect() as conn:
        recent = [dict(r._mapping) for r in conn.execute(
            select(sessions.c.id, sessions.c.status, sessions.c.connector_id, sessions.c.started_at,
                   sessions.c.energy_wh)
            # newest start first, not newest id: imported and roaming sessions arrive after later ones began (the
            # demo's showed 2026-07, 2026-01, 2026-08); not started yet (no time) counts as newest
            .where(sessions.c.station_id == station["id"])
            .order_by(sessions.c.started_at.desc().nulls_first(), sessions.c.id.desc()).limit(10))]
        zone = conn.execute(select(sites.c.time_zone).where(sites.c.id == station.get("site_id"))).scalar()
    return {"site_time_zone": zone, "recent_sessions": recent, "live_sessions": [r for r in recent if r["status"] in ACTIVE],
            "commands": COMMANDS.get(station.get("ocpp_version") or "1.6", []) if caller.has(Right.STATIONS)
            else []}
