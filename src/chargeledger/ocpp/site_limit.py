"""A site's grid limit shared by its stations: each connected station gets an equal share as its station-wide
maximum profile (1.6 ChargePointMaxProfile, 2.0.1 ChargingStationMaxProfile), re-shared when the limit changes and
when a station of the site boots. The share is rounded down to 0.1 kW, so the sum never exceeds the limit."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import Engine, select, update

from ..storage.tables import sites, stations
from .commands import CommandFailed

log = logging.getLogger(__name__)

PROFILE_ID = 900_001  # the id of the site-limit profile on every station: a new share replaces the last
STACK_LEVEL = 0


def shares(limit_kw: Decimal, station_ids: list[str]) -> dict[str, Decimal]:
    if not station_ids:
        return {}
    each = (Decimal(limit_kw) / len(station_ids)).quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    return {station_id: each for station_id in sorted(station_ids)}


def payload(version: str, share_kw: Decimal, now: datetime) -> tuple[str, dict]:
    """The SetChargingProfile (camelCase) that caps a whole station at its share, from now on."""
    start = now.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    schedule = {"chargingRateUnit": "W", "startSchedule": start,
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": float(share_kw * 1000)}]}
    if version == "1.6":
        return "SetChargingProfile", {"connectorId": 0, "csChargingProfiles": {
            "chargingProfileId": PROFILE_ID, "stackLevel": STACK_LEVEL, "chargingProfilePurpose":
                "ChargePointMaxProfile", "chargingProfileKind": "Absolute", "chargingSchedule": schedule}}
    return "SetChargingProfile", {"evseId": 0, "chargingProfile": {
        "id": PROFILE_ID, "stackLevel": STACK_LEVEL, "chargingProfilePurpose": "ChargingStationMaxProfile",
        "chargingProfileKind": "Absolute", "chargingSchedule": [{"id": 1, **schedule}]}}


def set_limit(engine: Engine, site_id: str, limit_kw: Decimal | None) -> None:
    with engine.begin() as conn:
        conn.execute(update(sites).where(sites.c.id == site_id).values(power_limit_kw=limit_kw))
    _LIMITED.pop(str(engine.url), None)  # this process sees the change at the next boot


def limit_and_stations(engine: Engine, site_id: str) -> tuple[Decimal | None, dict[str, str]]:
    """The site's limit and its stations with their OCPP version."""
    with engine.connect() as conn:
        limit = conn.execute(select(sites.c.power_limit_kw).where(sites.c.id == site_id)).scalar()
        members = conn.execute(select(stations.c.id, stations.c.ocpp_version).where(stations.c.site_id == site_id))
        return limit, {row.id: row.ocpp_version for row in members}


async def share(gateway, site_id: str, now: datetime) -> dict[str, dict]:
    """Send each connected station of the site its share; returns {station: {share_kw, answer or error}}."""
    limit, members = await asyncio.to_thread(limit_and_stations, gateway.engine, site_id)
    if limit is None:
        return {}
    online = [s for s in members if s in gateway.connected]
    results = {}
    for station_id, share_kw in shares(limit, online).items():
        name, body = payload(gateway.connected[station_id].version, share_kw, now)
        try:
            answer = await gateway.command(station_id, name, body, "operator", "site power limit")
            results[station_id] = {"share_kw": share_kw, "answer": answer}
        except CommandFailed as exc:
            log.warning("could not send %s its share of site %s's limit: %s", station_id, site_id, exc)
            results[station_id] = {"share_kw": share_kw, "error": str(exc)}
    return results


_LIMITED: dict[str, tuple[frozenset[str], datetime]] = {}  # per database: the sites with a limit, read when
_LIMITED_FOR = 30.0  # seconds a gateway trusts that list (a limit set by another process shows after this)


def _limited_sites(engine: Engine, now: datetime) -> frozenset[str]:
    """The sites with a limit, read at most every _LIMITED_FOR seconds: thousands of boots cost one query."""
    held = _LIMITED.get(str(engine.url))
    if held is None or (now - held[1]).total_seconds() > _LIMITED_FOR:
        with engine.connect() as conn:
            held = (frozenset(conn.execute(select(sites.c.id).where(sites.c.power_limit_kw.is_not(None)))
                              .scalars()), now)
        _LIMITED[str(engine.url)] = held
    return held[0]


def reshare_soon(gateway, site_id: str, now: datetime) -> None:
    """After a station of the site booted: share again once its boot is answered (a command sent from inside the
    handler would wait for an answer the connection cannot read until the handler returns)."""
    async def later():
        try:
            if site_id in await asyncio.to_thread(_limited_sites, gateway.engine, now):
                await share(gateway, site_id, now)
        except Exception:  # noqa: BLE001 - a failed re-share is logged; the next boot or limit change retries
            log.exception("could not share site %s's power limit", site_id)
    gateway.spawn(later())
