"""What the operator sees of OCPI: each partner of its organisations with its push queue (pending, failed with the
partner's answer, retried, sent) and the pushes still waiting or refused; as JSON and as a page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from ...access.rights import Caller, Right
from ...http.deps import engine_of, require
from .. import partners as store
from .. import queue

router = APIRouter(tags=["OCPI"])


def overview(engine: Engine, caller: Caller) -> list[dict[str, Any]]:
    counts = queue.counts(engine)
    out = []
    for p in store.listing(engine):
        if not caller.sees(p.organisation_id):
            continue
        c = counts.get(p.id, queue.Counts())
        waiting = queue.listing(engine, p.id, queue.PENDING, 20) + queue.listing(engine, p.id, queue.FAILED, 20)
        out.append({"id": p.id, "name": p.name, "organisation": p.organisation_id,
                    "party": f"{p.country_code}*{p.party_id}", "status": p.status, "version": p.version,
                    "modules": sorted({e["identifier"] for e in p.endpoints}), "pending": c.pending,
                    "failed": c.failed, "retrying": c.retrying, "sent": c.sent, "last_push_at": c.last_sent_at,
                    "last_error": c.last_error, "waiting": sorted(waiting, key=lambda r: r["id"])})
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
