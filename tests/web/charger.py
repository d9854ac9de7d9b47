"""A charger simulated with the `ocpp` library: it accepts a remote stop and then stops its transaction."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class StoppingCharger(ChargePoint):
    transaction_id: int | None = None
    meter_wh = 1000

    @on("RemoteStopTransaction")
    async def on_remote_stop(self, transaction_id, **kw):
        # Answer first, then end the transaction a moment later, as real chargers do (5 Wh: plausible in seconds).
        asyncio.get_running_loop().call_later(1.5, lambda: asyncio.ensure_future(self.finish()))
        return call_result.RemoteStopTransaction(status="Accepted")

    async def finish(self) -> None:
        await self.call(call.StopTransaction(meter_stop=self.meter_wh + 5, timestamp=now_iso(),
                                             transaction_id=self.transaction_id, reason="Remote"))
        await self.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Finishing",
                                                timestamp=now_iso()))


async def connect(port: int, station_id: str) -> tuple[StoppingCharger, object, asyncio.Task]:
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/ocpp/{station_id}", subprotocols=["ocpp1.6"])
    cp = StoppingCharger(station_id, ws, response_timeout=5)
    task = asyncio.ensure_future(cp.start())
    await cp.call(call.BootNotification(charge_point_model="Eve", charge_point_vendor="Alfen"))
    return cp, ws, task


async def start_transaction(cp: StoppingCharger, tag: str = "AA11") -> int:
    await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing",
                                          timestamp=now_iso()))
    started = await cp.call(call.StartTransaction(connector_id=1, id_tag=tag, meter_start=cp.meter_wh,
                                                  timestamp=now_iso()))
    cp.transaction_id = started.transaction_id
    await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Charging",
                                          timestamp=now_iso()))
    return started.transaction_id
