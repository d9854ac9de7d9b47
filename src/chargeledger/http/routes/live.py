"""A live session's figures as server-sent events: status, energy, duration, average power and running price,
sent whenever they change while the session runs; the session page's banner, KPIs, chart and log follow them."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine

from ...access.rights import Caller
from ...ledger.store import Ledger
from ...access.accounts import caller_for_key
from ..deps import bearer_key, current_caller, engine_of
from ...web.formatting import kwh, money, number
from ...web.viewer_locale import DEFAULT, request_locale
from .sessions import visible_session

router = APIRouter(tags=["sessions"])
EVERY_SECONDS = 2.0
KEEPALIVE_SECONDS = 15.0


def live_figures(engine: Engine, session_id: int, locale: str = DEFAULT) -> dict:
    """`locale`: the viewer's, for the running price as the page shows it (`shown`)."""
    from ...settlement.running import running_price

    now = datetime.now(timezone.utc)
    view = Ledger(engine).project(session_id, now=now)
    start = view.started_at
    seconds = ((view.stopped_at or now) - start).total_seconds() if start else None
    figures = {"status": view.status.value, "energy_wh": round(view.energy_wh, 1),
               "duration_seconds": round(seconds) if seconds is not None else None,
               # kWh over elapsed time (the seed's definition), not over the charging intervals seen so far
               "average_power_w": round(view.energy_wh * 3600 / seconds, 1) if seconds else None,
               "last_event_at": view.last_event_at.isoformat() if view.last_event_at else None,
               "running_price": None}
    # as the page shows them, in the viewer's locale (web/formatting.py: one way to format)
    figures["energy_shown"] = kwh(figures["energy_wh"], 2, locale)
    if figures["average_power_w"] is not None:
        figures["power_shown"] = f"{number(figures['average_power_w'] / 1000, 1, locale)} kW"
    if view.status.is_active:
        try:
            price = running_price(engine, session_id, now)
            figures["running_price"] = price and {**price, "shown": money(price["amount"], price["currency"], locale)}
        except Exception:  # noqa: BLE001 - a tariff that cannot price the partial session leaves the price out
            figures["running_price"] = None
    return figures


@router.get("/api/sessions/{session_id}/live")
async def session_live(session_id: int, request: Request, caller: Caller = Depends(current_caller),
                       engine: Engine = Depends(engine_of)) -> StreamingResponse:
    await asyncio.to_thread(visible_session, engine, caller, session_id)
    key = bearer_key(request)
    locale = request_locale(request, caller)

    async def stream():
        last, quiet = None, 0.0
        while not await request.is_disconnected():
            if await asyncio.to_thread(caller_for_key, engine, key) is None:
                yield "event: expired\ndata: {}\n\n"  # the login ended: the page goes to the login page
                return
            figures = await asyncio.to_thread(live_figures, engine, session_id, locale)
            changed = {k: v for k, v in figures.items() if k not in ("duration_seconds", "average_power_w", "power_shown")}
            if changed != last:
                last, quiet = changed, 0.0
                yield f"event: figures\ndata: {json.dumps(figures)}\n\n"
            elif quiet >= KEEPALIVE_SECONDS:
                quiet = 0.0
                yield ": still here\n\n"
            if figures["status"] not in ("Pending", "Starting", "Charging", "Paused", "Stopping"):
                yield "event: ended\ndata: {}\n\n"
                return
            await asyncio.sleep(EVERY_SECONDS)
            quiet += EVERY_SECONDS

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def register(app: FastAPI) -> None:
    app.include_router(router)
