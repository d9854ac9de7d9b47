"""Station certificates renewed before they expire: a station at security profile 3 whose certificate lapses can
no longer connect, so the gateway's upkeep asks each connected station whose newest certificate of our CA (accepted,
not revoked) ends within `certificate_renew_before` to send a new signing request (2.0.1 TriggerMessage
SignChargingStationCertificate, 1.6 ExtendedTriggerMessage SignChargePointCertificate; A02 / TC_A_11). The request
then takes the usual path (ocpp/certificate_signing.py). A station is asked at most once a day."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select

from ..storage.tables import station_certificates
from . import commands, station_state

log = logging.getLogger(__name__)
TOPIC = "certificate_renewal"
ASK_AGAIN_AFTER = timedelta(days=1)
TRIGGERS = {"1.6": ("ExtendedTriggerMessage", {"requestedMessage": "SignChargePointCertificate"}),
            "2.0.1": ("TriggerMessage", {"requestedMessage": "SignChargingStationCertificate"})}


def due(engine: Engine, station_ids: set[str], renew_before: timedelta, at: datetime) -> list[str]:
    """Of these stations, those whose newest good certificate expires within `renew_before` (one query for all)."""
    c = station_certificates.c
    with engine.connect() as conn:
        newest = conn.execute(select(c.station_id, func.max(c.not_after))
                              .where(c.status == "Accepted", c.revoked_at.is_(None))
                              .group_by(c.station_id)).all()
    ending = [sid for sid, until in newest if sid in station_ids and at < until < at + renew_before]
    asked = {sid: station_state.recall(engine, sid, TOPIC) for sid in ending}
    return [sid for sid in ending if not asked[sid]
            or datetime.fromisoformat(asked[sid]["asked_at"]) + ASK_AGAIN_AFTER <= at]


async def renew(gateway, at: datetime) -> None:
    settings = gateway.settings
    if settings.authority is None or not gateway.connected:
        return
    for station_id in await gateway._run(due, gateway.engine, set(gateway.connected),
                                         settings.certificate_renew_before, at):
        await gateway._run(station_state.remember, gateway.engine, station_id, TOPIC, {"asked_at": at.isoformat()},
                           at)
        gateway.spawn(_ask(gateway, station_id, at))  # each on its own: a slow station delays no other upkeep


async def _ask(gateway, station_id: str, at: datetime) -> None:
    cp = gateway.connected.get(station_id)
    if cp is None:
        return
    name, payload = TRIGGERS[cp.version]
    try:
        answer = await gateway.command(station_id, name, payload, source="operator", by="certificate renewal")
    except commands.CommandFailed as exc:  # asked again tomorrow
        log.warning("could not ask %s to renew its certificate: %s", station_id, exc)
        return
    await gateway._run(station_state.remember, gateway.engine, station_id, TOPIC,
                       {"asked_at": at.isoformat(), "answer": answer.get("status")}, at)
