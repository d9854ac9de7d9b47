"""sessions and cdrs, Sender interface: the partner pulls the sessions of its drivers and their CDRs (credit CDRs
included), paginated, by last_updated."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ...http.deps import engine_of
from .. import partners as store
from ..registration import VERSION
from ..sessions import Owner, cdrs_of, owner_of, partner_sessions, session_object
from .transport import PREFIX, Page, registered
from .versions import served

SESSIONS, CDRS = f"/cpo/{VERSION}/sessions", f"/cpo/{VERSION}/cdrs"
router = APIRouter(prefix=PREFIX, tags=["OCPI"])
served("sessions", "SENDER", SESSIONS)
served("cdrs", "SENDER", CDRS)


def _owned(conn, partner: store.Partner) -> list[tuple[int, Owner]]:
    found = []
    for session_id in partner_sessions(conn, partner):
        owner = owner_of(conn, session_id)
        if owner is not None and owner.partner.id == partner.id:
            found.append((session_id, owner))
    return found


@router.get(SESSIONS)
def session_list(page: Page = Depends(), partner: store.Partner = Depends(registered), engine=Depends(engine_of)):
    with engine.connect() as conn:
        found = [obj for sid, owner in _owned(conn, partner)
                 if (obj := session_object(conn, owner, sid)) is not None and page.within_text(obj["last_updated"])]
    found.sort(key=lambda o: (o["last_updated"], int(o["id"])))
    return page.respond(found[page.offset:page.offset + page.limit], len(found), partner)


@router.get(CDRS)
def cdr_list(page: Page = Depends(), partner: store.Partner = Depends(registered), engine=Depends(engine_of)):
    with engine.connect() as conn:
        found = [cdr for sid, owner in _owned(conn, partner) for cdr in cdrs_of(conn, owner, sid)
                 if page.within_text(cdr["last_updated"])]
    found.sort(key=lambda c: c["last_updated"])  # stable: a credit stays before the CDR that replaces it
    return page.respond(found[page.offset:page.offset + page.limit], len(found), partner)
