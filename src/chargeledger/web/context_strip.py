"""The session's surroundings: EVSE → location → team → operator, the driver with lifetime totals, the vehicle."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, func, select

from ..access.rights import Caller, Right
from ..directory.presence import with_connection_state
from ..storage.tables import drivers, evses, organisations, sessions, sites, stations, teams, vehicles


def _one(conn, query) -> dict[str, Any] | None:
    row = conn.execute(query).first()
    return dict(row._mapping) if row else None


def session_context(engine: Engine, caller: Caller, detail: dict[str, Any]) -> dict[str, Any]:
    with engine.connect() as conn:
        org = _one(conn, select(organisations).where(organisations.c.id == detail["organisation_id"]))
        site = _one(conn, select(sites).where(sites.c.id == detail["site_id"])) if detail["site_id"] else None
        station = (_one(conn, select(stations.c.id, stations.c.name, stations.c.serial_number, stations.c.vendor,
                                     stations.c.model, stations.c.status, stations.c.gateway,
                                     stations.c.connected_since, stations.c.last_message_at)
                        .where(stations.c.id == detail["station_id"]))
                   if detail["station_id"] else None)
        if station is not None:
            with_connection_state(conn, [station], datetime.now(timezone.utc))
        evse_known = bool(detail["evse_id"]) and conn.execute(
            select(evses.c.evse_id).where(evses.c.evse_id == detail["evse_id"])).first() is not None
        driver_id = detail.get("driver_id") or detail.get("identity", {}).get("driver_id")
        driver = _one(conn, select(drivers).where(drivers.c.id == driver_id)) if driver_id else None
        if driver and driver["organisation_id"] not in caller.organisation_ids:
            driver = None
        team = (_one(conn, select(teams).where(teams.c.id == driver["team_id"]))
                if driver and driver["team_id"] else None)
        vehicle = (_one(conn, select(vehicles).where(vehicles.c.driver_id == driver["id"]).order_by(vehicles.c.id))
                   if driver else None)
        lifetime = None
        if driver:
            count, energy = conn.execute(select(func.count(), func.coalesce(func.sum(sessions.c.energy_wh), 0))
                                         .where(sessions.c.driver_id == driver["id"])).one()
            lifetime = {"sessions": count, "energy_wh": float(energy or 0)}
    contact = None
    if driver and caller.has(Right.SUPPORT):
        contact = {"email": driver["email"], "phone": driver["phone"]}
    return {
        "organisation": org, "site": site, "station": station, "evse_known": evse_known, "team": team,
        "driver": {"id": driver["id"], "name": driver["name"]} if driver else None,
        "driver_contact": contact, "lifetime": lifetime, "vehicle": vehicle,
        "roaming_driver": bool(detail.get("roaming")) and driver is None,
        "time_zone": site["time_zone"] if site else "UTC",
        "country": (site or org or {}).get("country"),
        "currency": org["currency"] if org else "",
    }
