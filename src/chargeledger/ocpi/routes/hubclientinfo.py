"""hubclientinfo, Receiver interface: a hub PUTs the ClientInfo of each party connected to it (and of changes to
their connection) and may GET back what we hold. Only a partner registered as a HUB may."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ...http.deps import engine_of
from .. import hubs, queue
from .. import partners as store
from ..models import ClientInfo
from ..registration import VERSION
from ..status import OcpiError, Status, not_found
from .transport import PREFIX, answer, body_as, registered
from .versions import served

PATH = f"/cpo/{VERSION}/hubclientinfo"
router = APIRouter(prefix=PREFIX + PATH, tags=["OCPI"])
served("hubclientinfo", "RECEIVER", PATH)


def _hub(partner: store.Partner) -> None:
    if not partner.is_hub:
        raise OcpiError(Status.CLIENT_ERROR, "only a hub tells us about the parties connected to it", 403)


@router.get("/{country_code}/{party_id}")
def client_info_get(country_code: str, party_id: str, partner: store.Partner = Depends(registered),
                    engine=Depends(engine_of)):
    _hub(partner)
    found = hubs.get(engine, partner.id, country_code, party_id)
    if found is None:
        raise not_found("party")
    return answer(found, partner)


@router.put("/{country_code}/{party_id}")
async def client_info_put(request: Request, country_code: str, party_id: str,
                          partner: store.Partner = Depends(registered), engine=Depends(engine_of)):
    _hub(partner)
    info = await body_as(request, ClientInfo)
    if (info.country_code.upper(), info.party_id.upper()) != (country_code.upper(), party_id.upper()):
        raise OcpiError(Status.INVALID_PARAMETERS, "the ClientInfo's country_code and party_id must be the URL's")
    with engine.begin() as conn:
        back = hubs.put(conn, partner.id, info)
    if back:  # its waiting pushes were made due: send them now
        queue.wake(engine)
    return answer(None, partner)
