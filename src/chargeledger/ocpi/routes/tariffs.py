"""tariffs, Sender interface: the partner pulls the operator's tariffs (the newest version of each)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ...http.deps import engine_of
from .. import partners as store
from ..registration import VERSION
from ..tariffs import tariffs
from .transport import PREFIX, Page, registered
from .versions import served

PATH = f"/cpo/{VERSION}/tariffs"
router = APIRouter(prefix=PREFIX + PATH, tags=["OCPI"])
served("tariffs", "SENDER", PATH)


@router.get("")
def tariff_list(page: Page = Depends(), partner: store.Partner = Depends(registered), engine=Depends(engine_of)):
    found = [t for t in tariffs(engine, partner) if page.within_text(t["last_updated"])]
    return page.respond(found[page.offset:page.offset + page.limit], len(found), partner)
