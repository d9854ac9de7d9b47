"""What the operator sees of OCPI: each partner of its organisations with its push queue (pending, failed with the
partner's answer, retried, sent) and the pushes still waiting or refused; as JSON and as a page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from ...access.rights import Caller, Right
from ...http.deps import engine_of, require
from .. import queue
from ..overview import summaries

router = APIRouter(tags=["OCPI"])


def overview(engine: Engine, caller: Caller) -> list[dict[str, Any]]:
    out = []
    for p, summary in summaries(engine):
        if not caller.sees(p.organisation_id):
            continue
        waiting = queue.listing(engine, p.id, queue.PENDING, 20) + queue.listing(engine, p.id, queue.FAILED, 20)
        out.append({**summary, "waiting": sorted(waiting, key=lambda r: r["id"])})
    return out


@router.get("/api/ocpi/partners")
def partners_json(caller: Caller = Depends(require(Right.STATIONS)), engine: Engine = Depends(engine_of)):
    return {"partners": overview(engine, caller)}


def register_page(app: FastAPI) -> None:
    """The page, when the web pages are installed (it uses their layout and login)."""
    try:
        from ...web.login import page_caller
        from ...web.pages import _page
    except ModuleNotFoundError:
        return

    @app.get("/roaming/ocpi", include_in_schema=False, response_class=HTMLResponse)
    def partners_page(request: Request, caller: Caller = Depends(page_caller)):
        shown = overview(app.state.engine, caller) if caller.has(Right.STATIONS) else []
        return _page(request, "ocpi_partners.html", caller, partners=shown, allowed=caller.has(Right.STATIONS))
