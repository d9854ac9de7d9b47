"""sessions and cdrs, Sender interface: the partner pulls the sessions of its drivers and their CDRs (credit CDRs
included), paginated, by last_updated. Through a hub, a party behind it sees only its own drivers' sessions."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ...http.deps import engine_of
from .. import partners as store
from ..objects.sessions import ChargingPreferences
from ..registration import VERSION
from ..sessions import Owner, cdrs_of, owner_of, partner_sessions, session_object
from ..status import Status, not_found
from .transport import PREFIX, Page, answer, body_as, registered, sender
from .versions import served

SESSIONS, CDRS = f"/cpo/{VERSION}/sessions", f"/cpo/{VERSION}/cdrs"
router = APIRouter(prefix=PREFIX, tags=["OCPI"])
served("sessions", "SENDER", SESSIONS)
served("cdrs", "SENDER", CDRS)


def _owned(conn, partner: store.Partner, party: tuple[str, str] | None) -> list[tuple[int, Owner]]:
    """The partner's sessions; `party`: only those of that party behind the partner (a hub)."""
    found = []
    for session_id in partner_sessions(conn, partner):
        owner = owner_of(conn, session_id)
        if owner is not None and owner.partner.id == partner.id and (party is None or owner.party == party):
            found.append((session_id, owner))
    return found


@router.get(SESSIONS)
def session_list(request: Request, page: Page = Depends(), partner: store.Partner = Depends(registered),
                 engine=Depends(engine_of)):
    with engine.connect() as conn:
        found = [obj for sid, owner in _owned(conn, partner, sender(request, partner))
                 if (obj := session_object(conn, owner, sid)) is not None and page.within_text(obj["last_updated"])]
    found.sort(key=lambda o: (o["last_updated"], int(o["id"])))
    return page.respond(found[page.offset:page.offset + page.limit], len(found), partner)


@router.put(SESSIONS + "/{session_id}/charging_preferences")
async def charging_preferences(session_id: str, request: Request, partner: store.Partner = Depends(registered),
                               engine=Depends(engine_of)):
    """Our EVSEs are not CHARGING_PREFERENCES_CAPABLE: per the sessions module that is HTTP 404 with 2001 (after
    the body is checked, and for a session of the partner's; another is 2003)."""
    await body_as(request, ChargingPreferences)
    with engine.connect() as conn:
        owned = {str(sid) for sid, _owner in _owned(conn, partner, sender(request, partner))}
    if session_id not in owned:
        raise not_found("session")
    return answer("NOT_POSSIBLE", partner, status_code=404, status=Status.INVALID_PARAMETERS,
                  message="the EVSE of this session does not take charging preferences")


@router.get(CDRS)
def cdr_list(request: Request, page: Page = Depends(), partner: store.Partner = Depends(registered),
             engine=Depends(engine_of)):
    with engine.connect() as conn:
        found = [cdr for sid, owner in _owned(conn, partner, sender(request, partner))
                 for cdr in cdrs_of(conn, owner, sid)
                 if page.within_text(cdr["last_updated"])]
    found.sort(key=lambda c: c["last_updated"])  # stable: a credit stays before the CDR that replaces it
    return page.respond(found[page.offset:page.offset + page.limit], len(found), partner)
