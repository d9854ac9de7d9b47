"""Organisations, sites and stations, each scoped to the caller's organisations."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy import Engine, select

from ...access.rights import Caller
from ...ocpp import connector_status
from ...directory.presence import with_connection_state
from ...storage.tables import connectors, evses, organisations, sites, stations
from ..deps import current_caller, engine_of

router = APIRouter(tags=["network"])

_STATION_COLUMNS = [c for c in stations.c if c.name not in ("password_hash",)]


def _rows(engine: Engine, query) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def _stations(engine: Engine, query) -> list[dict]:
    """Station rows with their connection state (`connected`, `gateway`, `connected_since`, `last_message_at`)."""
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        return with_connection_state(conn, rows, datetime.now(timezone.utc))


@router.get("/api/organisations")
def organisation_list(caller: Caller = Depends(current_caller), engine: Engine = Depends(engine_of)) -> list[dict]:
    return _rows(engine, select(organisations).where(organisations.c.id.in_(caller.organisation_ids))
                 .order_by(organisations.c.name))


@router.get("/api/sites")
def site_list(caller: Caller = Depends(current_caller), engine: Engine = Depends(engine_of)) -> list[dict]:
    return _rows(engine, select(sites).where(sites.c.organisation_id.in_(caller.organisation_ids))
                 .order_by(sites.c.name))


@router.get("/api/stations")
def station_list(caller: Caller = Depends(current_caller), engine: Engine = Depends(engine_of)) -> list[dict]:
    return _stations(engine, select(*_STATION_COLUMNS).where(stations.c.organisation_id.in_(caller.organisation_ids))
                 .order_by(stations.c.name))


@router.get("/api/stations/{station_id}")
def station_get(station_id: str, caller: Caller = Depends(current_caller),
                engine: Engine = Depends(engine_of)) -> dict:
    found = _stations(engine, select(*_STATION_COLUMNS).where(stations.c.id == station_id))
    if not found or not caller.sees(found[0]["organisation_id"]):
        raise HTTPException(404, f"no station {station_id}")
    station = found[0]
    station["evses"] = _rows(engine, select(evses).where(evses.c.station_id == station_id))
    for evse in station["evses"]:
        evse["connectors"] = _rows(engine, select(connectors).where(connectors.c.evse_id == evse["evse_id"]))
    # as the station last reported each connector (0: the station itself)
    station["connector_status"] = connector_status.of_station(engine, station_id)
    return station
