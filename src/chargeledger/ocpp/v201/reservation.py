"""2.0.1 Reservation block, station side of it: ReservationStatusUpdate (a reservation expired or was removed)."""

from __future__ import annotations

from ocpp.routing import on
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

from .. import reservations
from ..connection import utcnow


class Reservation201:
    @on(Action.reservation_status_update)
    async def on_reservation_status_update(self, reservation_id, reservation_update_status, **kw):
        await self.db(reservations.ended_by_station, self.gateway.engine, self.station.id, reservation_id,
                      reservation_update_status, utcnow())
        return call_result.ReservationStatusUpdate()
