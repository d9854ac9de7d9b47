"""locations, Sender interface: the partner pulls the operator's Locations (paginated, by last_updated), or one
Location, EVSE or Connector."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ...http.deps import engine_of
from .. import partners as store
from ..locations import locations
from ..registration import VERSION
from ..status import not_found
from .transport import PREFIX, Page, answer, registered
from .versions import served

PATH = f"/cpo/{VERSION}/locations"
router = APIRouter(prefix=PREFIX + PATH, tags=["OCPI"])
served("locations", "SENDER", PATH)


@router.get("")
def location_list(page: Page = Depends(), partner: store.Partner = Depends(registered), engine=Depends(engine_of)):
    with engine.connect() as conn:
        found = [loc for loc in locations(conn, partner) if page.within_text(loc["last_updated"])]
    return page.respond(found[page.offset:page.offset + page.limit], len(found), partner)


def _one(engine, partner: store.Partner, location_id: str) -> dict:
    with engine.connect() as conn:
        found = locations(conn, partner, location_id)
    if not found:
        raise not_found("location")
    return found[0]


def _evse(location: dict, evse_uid: str) -> dict:
    evse = next((e for e in location.get("evses", []) if e["uid"] == evse_uid), None)
    if evse is None:
        raise not_found("EVSE")
    return evse


@router.get("/{location_id}")
def location_one(location_id: str, partner: store.Partner = Depends(registered), engine=Depends(engine_of)):
    return answer(_one(engine, partner, location_id), partner)


@router.get("/{location_id}/{evse_uid}")
def evse_one(location_id: str, evse_uid: str, partner: store.Partner = Depends(registered),
             engine=Depends(engine_of)):
    return answer(_evse(_one(engine, partner, location_id), evse_uid), partner)


@router.get("/{location_id}/{evse_uid}/{connector_id}")
def connector_one(location_id: str, evse_uid: str, connector_id: str, partner: store.Partner = Depends(registered),
                  engine=Depends(engine_of)):
    evse = _evse(_one(engine, partner, location_id), evse_uid)
    connector = next((c for c in evse["connectors"] if c["id"] == connector_id), None)
    if connector is None:
        raise not_found("connector")
    return answer(connector, partner)
