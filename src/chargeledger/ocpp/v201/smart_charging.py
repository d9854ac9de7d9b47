"""2.0.1 Smart Charging block, what the station tells us: the profiles it holds (ReportChargingProfiles, after our
GetChargingProfiles), the EV's charging needs (ISO 15118), answered with a schedule of ours (ev_charging), and the
EV's schedule, checked against it; limits set by others (an energy management system, the grid operator). Needs,
schedules and limits are kept as the station's current state."""

from __future__ import annotations

import logging

from ocpp.routing import on
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

from .. import charging_profiles, ev_charging, station_state
from ..commands import CommandFailed
from ..connection import utcnow
from ..times import read_time

log = logging.getLogger(__name__)


class SmartCharging201:
    @on(Action.report_charging_profiles)
    async def on_report_charging_profiles(self, request_id, charging_limit_source, evse_id, charging_profile, **kw):
        for profile in charging_profile:  # what the station holds: as if it had just accepted each
            await self.db(charging_profiles.accepted, self.gateway.engine, self.station.id, evse_id, profile,
                          utcnow())
        return call_result.ReportChargingProfiles()

    @on(Action.notify_ev_charging_needs)
    async def on_notify_ev_charging_needs(self, charging_needs, evse_id, **kw):
        now = utcnow()
        body, answer = await self.read(ev_charging.answer_needs, self.gateway.engine, self.gateway.recorder,
                                       self.station, list(self.gateway.connected), evse_id, charging_needs,
                                       kw.get("max_schedule_tuples"), now)
        await self._keep(f"ev_charging_needs:{evse_id}", {"charging_needs": charging_needs,
                                                           "max_schedule_tuples": kw.get("max_schedule_tuples"),
                                                           "schedule": answer})
        if body is None:  # no transaction to bind a TxProfile to, or needs we cannot read (K15.FR.04)
            return call_result.NotifyEVChargingNeeds(status="Rejected")
        self._send_schedule_soon(body)
        return call_result.NotifyEVChargingNeeds(status="Accepted")  # K15.FR.03: the schedule follows now

    def _send_schedule_soon(self, body: dict) -> None:
        """Sent once our answer is out: a command from inside the handler would wait for an answer this connection
        cannot read until the handler returns. What the station accepts is kept as its TxProfile (effects)."""
        gateway, station_id = self.gateway, self.station.id

        async def send():
            try:
                await gateway.command(station_id, "SetChargingProfile", body, "operator", "EV charging needs")
            except CommandFailed as exc:
                log.warning("could not send %s the schedule for its EV's charging needs: %s", station_id, exc)
        gateway.spawn(send())

    @on(Action.notify_ev_charging_schedule)
    async def on_notify_ev_charging_schedule(self, time_base, charging_schedule, evse_id, **kw):
        read_time(time_base)
        status, against = await self.read(ev_charging.check_ev_schedule, self.gateway.engine, self.station.id,
                                           evse_id, time_base, charging_schedule)
        await self._keep(f"ev_charging_schedule:{evse_id}", {"time_base": time_base,
                                                              "charging_schedule": charging_schedule,
                                                              "status": status, "checked_against": against})
        return call_result.NotifyEVChargingSchedule(status=status)

    @on(Action.notify_charging_limit)
    async def on_notify_charging_limit(self, charging_limit, **kw):
        await self._keep("charging_limit", {"charging_limit": charging_limit, "evse_id": kw.get("evse_id"),
                                            "charging_schedule": kw.get("charging_schedule"), "cleared": False})
        return call_result.NotifyChargingLimit()

    @on(Action.cleared_charging_limit)
    async def on_cleared_charging_limit(self, charging_limit_source, **kw):
        await self._keep("charging_limit", {"charging_limit": {"charging_limit_source": charging_limit_source},
                                            "evse_id": kw.get("evse_id"), "cleared": True})
        return call_result.ClearedChargingLimit()

    async def _keep(self, topic: str, value: dict) -> None:
        await self.db(station_state.remember, self.gateway.engine, self.station.id, topic, value, utcnow())
