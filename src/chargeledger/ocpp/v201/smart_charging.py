"""2.0.1 Smart Charging block, what the station tells us: the profiles it holds (ReportChargingProfiles, after our
GetChargingProfiles), the EV's charging needs and schedule (ISO 15118), and limits set by others (an energy
management system, the grid operator). Needs, schedules and limits are kept as the station's current state."""

from __future__ import annotations

from ocpp.routing import on
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

from .. import charging_profiles, station_state
from ..connection import utcnow
from ..times import read_time


class SmartCharging201:
    @on(Action.report_charging_profiles)
    async def on_report_charging_profiles(self, request_id, charging_limit_source, evse_id, charging_profile, **kw):
        for profile in charging_profile:  # what the station holds: as if it had just accepted each
            await self.db(charging_profiles.accepted, self.gateway.engine, self.station.id, evse_id, profile,
                          utcnow())
        return call_result.ReportChargingProfiles()

    @on(Action.notify_ev_charging_needs)
    async def on_notify_ev_charging_needs(self, charging_needs, evse_id, **kw):
        await self._keep(f"ev_charging_needs:{evse_id}", {"charging_needs": charging_needs,
                                                           "max_schedule_tuples": kw.get("max_schedule_tuples")})
        # we take note; no schedule of ours follows yet, so we do not promise one (Processing would)
        return call_result.NotifyEVChargingNeeds(status="Accepted")

    @on(Action.notify_ev_charging_schedule)
    async def on_notify_ev_charging_schedule(self, time_base, charging_schedule, evse_id, **kw):
        read_time(time_base)
        await self._keep(f"ev_charging_schedule:{evse_id}", {"time_base": time_base,
                                                              "charging_schedule": charging_schedule})
        return call_result.NotifyEVChargingSchedule(status="Accepted")

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
