"""Signed meter values of a session (OCMF): the verdict per record and the file for the transparency software."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import Response
from sqlalchemy import Engine

from ...access.rights import Caller
from ...metering.ocmf import signed_records, transparency_xml, verdict
from ...ocpp.message_log import session_log
from ..deps import current_caller, engine_of
from .sessions import visible_session

router = APIRouter(tags=["sessions"])


def _records(engine: Engine, caller: Caller, session_id: int) -> tuple[dict, list[dict]]:
    row = visible_session(engine, caller, session_id)
    frames = session_log(engine, session_id, row.get("station_id"), row.get("started_at"), row.get("stopped_at"),
                         limit=10000)
    return row, signed_records(frames)


@router.get("/api/sessions/{session_id}/signed-meter-values")
def signed_meter_values(session_id: int, caller: Caller = Depends(current_caller),
                        engine: Engine = Depends(engine_of)) -> dict:
    """Each OCMF record the charger signed for this session, verified against its meter's public key."""
    _, records = _records(engine, caller, session_id)
    return {"items": [verdict(r) for r in records]}


@router.get("/api/sessions/{session_id}/signed-meter-values.xml")
def signed_meter_values_xml(session_id: int, caller: Caller = Depends(current_caller),
                            engine: Engine = Depends(engine_of)) -> Response:
    """The signed records as a file the transparency software opens (S.A.F.E. Transparenzsoftware)."""
    row, records = _records(engine, caller, session_id)
    return Response(transparency_xml(records, row.get("transaction_id")), media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="session-{session_id}-ocmf.xml"'})


def register(app: FastAPI) -> None:
    app.include_router(router)
