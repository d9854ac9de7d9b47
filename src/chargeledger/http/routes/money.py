"""Money endpoints: tariffs, refunds, re-pricing, the price breakdown, and `money` on a session's detail."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine

from ...access.rights import Caller, Right
from ...payments.refunds import RefundRefused, refund
from ...payments.store import payments_of
from ...pricing import TariffError
from ...settlement.breakdown import render
from ...settlement.store import SettlementError, current_settlement, reprice, settlements_of
from ...tariffs import store as tariff_store
from ..audit_trail import AuditTrail, audit_trail
from ..deps import current_caller, engine_of, require
from .sessions import DETAIL_ENRICHERS, visible_session

router = APIRouter(tags=["money"])
FINANCE_ONLY = ("electricity_cost", "margin", "gateway_fee", "platform_fee", "revenue", "gateway_fee_settlement",
                "platform_fee_settlement", "revenue_settlement", "exchange_rate")


def _tariff_refused(exc: TariffError) -> JSONResponse:
    return JSONResponse(status_code=422, content={
        "detail": "invalid tariff", "errors": [{"field": f, "reason": r} for f, r in exc.problems]})


def _visible_tariff(engine: Engine, caller: Caller, tariff_id: str, version: int | None = None):
    stored = tariff_store.get_tariff(engine, tariff_id, version)
    if stored is None or not caller.sees(stored.organisation_id):
        raise HTTPException(404, f"no tariff {tariff_id}" + (f" version {version}" if version else ""))
    return stored


def _tariff_json(engine: Engine, stored) -> dict[str, Any]:
    return {"tariff_id": stored.tariff_id, "version": stored.version, "organisation_id": stored.organisation_id,
            "currency": stored.currency, "created_at": stored.created_at.isoformat(),
            "withdrawn_at": stored.withdrawn_at.isoformat() if stored.withdrawn_at else None,
            "ocpi": tariff_store.decimals_as_text(stored.ocpi),
            "assignments": [{**a, "valid_from": a["valid_from"].isoformat() if a["valid_from"] else None,
                             "valid_to": a["valid_to"].isoformat() if a["valid_to"] else None}
                            for a in tariff_store.assignments_of(engine, stored.tariff_id)]}


@router.get("/api/tariffs")
def tariffs_list(caller: Caller = Depends(current_caller), engine: Engine = Depends(engine_of)) -> dict:
    return {"items": [_tariff_json(engine, t) for t in tariff_store.list_tariffs(engine, caller.organisation_ids)]}


@router.get("/api/tariffs/{tariff_id}")
def tariff_get(tariff_id: str, version: int | None = None, caller: Caller = Depends(current_caller),
               engine: Engine = Depends(engine_of)) -> dict:
    return _tariff_json(engine, _visible_tariff(engine, caller, tariff_id, version))


@router.get("/api/tariffs/{tariff_id}/ocpi")
def tariff_export(tariff_id: str, version: int | None = None, caller: Caller = Depends(current_caller),
                  engine: Engine = Depends(engine_of)):
    """The exact OCPI 2.2.1 Tariff JSON (numbers with their own digits)."""
    from fastapi.responses import Response

    stored = _visible_tariff(engine, caller, tariff_id, version)
    return Response(stored.to_json(), media_type="application/json")


def _save(engine: Engine, caller: Caller, organisation: str, body: bytes, trail: "AuditTrail",
          expected_id: str | None = None):
    if not caller.sees(organisation):
        raise HTTPException(403, f"organisation {organisation} is outside your organisations")
    try:
        tariff = tariff_store.parse(body)
        if expected_id and tariff.id != expected_id:
            raise TariffError([("id", f"is {tariff.id!r} but the URL names tariff {expected_id!r}")])
        stored = tariff_store.save_tariff(engine, organisation, body)
    except TariffError as exc:
        return _tariff_refused(exc)
    except tariff_store.TariffStoreError as exc:
        return _tariff_refused(TariffError([(exc.field, exc.reason)]))
    trail.record("tariff.update" if expected_id else "tariff.save", "tariff", stored.tariff_id, organisation,
                 version=stored.version)
    return JSONResponse(status_code=201, content=_tariff_json(engine, stored))


# The raw body is read so OCPI numbers go straight to Decimal (a parsed JSON body would pass through float).
@router.post("/api/tariffs", openapi_extra={"requestBody": {"content": {"application/json": {}}, "required": True}})
async def tariff_create(request: Request, organisation: str, caller: Caller = Depends(require(Right.STATIONS)),
                        engine: Engine = Depends(engine_of), trail: AuditTrail = Depends(audit_trail)):
    """Store an OCPI tariff (a known id adds a version). A bad tariff is refused with 422, every field and reason."""
    body = await request.body()
    return await run_in_threadpool(_save, engine, caller, organisation, body, trail)


@router.put("/api/tariffs/{tariff_id}",
            openapi_extra={"requestBody": {"content": {"application/json": {}}, "required": True}})
async def tariff_update(request: Request, tariff_id: str, caller: Caller = Depends(require(Right.STATIONS)),
                        engine: Engine = Depends(engine_of), trail: AuditTrail = Depends(audit_trail)):
    """A new version; sessions keep the version frozen at their start."""
    body = await request.body()
    stored = await run_in_threadpool(_visible_tariff, engine, caller, tariff_id)
    return await run_in_threadpool(_save, engine, caller, stored.organisation_id, body, trail, tariff_id)


@router.delete("/api/tariffs/{tariff_id}")
def tariff_delete(tariff_id: str, caller: Caller = Depends(require(Right.STATIONS)),
                  engine: Engine = Depends(engine_of), trail: AuditTrail = Depends(audit_trail)) -> dict:
    """Stop applying and publishing the tariff; its versions stay, since settled sessions refer to them."""
    stored = _visible_tariff(engine, caller, tariff_id)
    removed = tariff_store.withdraw(engine, tariff_id)
    trail.record("tariff.withdraw", "tariff", tariff_id, stored.organisation_id, assignments_removed=removed)
    return {"tariff_id": tariff_id, "assignments_removed": removed}


class AssignmentIn(BaseModel):
    scope: str
    scope_id: str
    valid_from: str | None = None
    valid_to: str | None = None


@router.post("/api/tariffs/{tariff_id}/assignments", status_code=201)
def tariff_assign(tariff_id: str, body: AssignmentIn, caller: Caller = Depends(require(Right.STATIONS)),
                  engine: Engine = Depends(engine_of), trail: AuditTrail = Depends(audit_trail)):
    from datetime import datetime

    stored = _visible_tariff(engine, caller, tariff_id)
    try:
        moments = [datetime.fromisoformat(v.replace("Z", "+00:00")) if v else None
                   for v in (body.valid_from, body.valid_to)]
        assignment = tariff_store.assign(engine, tariff_id, body.scope, body.scope_id, *moments)
    except tariff_store.TariffStoreError as exc:
        return JSONResponse(status_code=422, content={"detail": "invalid assignment",
                                                      "errors": [{"field": exc.field, "reason": exc.reason}]})
    except ValueError as exc:
        return JSONResponse(status_code=422, content={"detail": "invalid assignment",
                                                      "errors": [{"field": "valid_from/valid_to",
                                                                  "reason": str(exc)}]})
    trail.record("tariff.assign", "tariff", tariff_id, stored.organisation_id, assignment_id=assignment,
                 scope=body.scope, scope_id=body.scope_id, valid_from=body.valid_from, valid_to=body.valid_to)
    return {"assignment_id": assignment}


class RefundIn(BaseModel):
    amount: str
    currency: str
    reason: str
    idempotency_key: str


@router.post("/api/sessions/{session_id}/refunds")
def session_refund(session_id: int, body: RefundIn, caller: Caller = Depends(current_caller),
                   engine: Engine = Depends(engine_of), trail: AuditTrail = Depends(audit_trail)):
    if not (caller.has(Right.FINANCE) or caller.has(Right.SUPPORT)):
        raise HTTPException(403, "refunds need the finance or support right")
    row = visible_session(engine, caller, session_id)
    try:
        result, created = refund(engine, session_id, body.amount, body.currency.upper(), body.reason,
                                 body.idempotency_key, caller.email)
    except RefundRefused as exc:
        return JSONResponse(status_code=exc.status, content={"detail": exc.reason})
    if created:  # a replay of the key moved no money
        trail.record("payment.refund", "session", session_id, row["organisation_id"], refund_id=result["id"],
                     amount=result["amount"], currency=result["currency"], reason=body.reason)
    return JSONResponse(status_code=201 if created else 200, content=result)


class RepriceIn(BaseModel):
    reason: str


@router.post("/api/sessions/{session_id}/reprice")
def session_reprice(session_id: int, body: RepriceIn, caller: Caller = Depends(require(Right.FINANCE)),
                    engine: Engine = Depends(engine_of), trail: AuditTrail = Depends(audit_trail)):
    row = visible_session(engine, caller, session_id)
    try:
        settled = reprice(engine, session_id, body.reason, caller.email)
    except SettlementError as exc:
        return JSONResponse(status_code=409, content={"detail": str(exc)})
    trail.record("session.reprice", "session", session_id, row["organisation_id"], reason=body.reason,
                 version=settled["version"], payment_total=settled["payment_total"])
    return _money(engine, caller, session_id)


@router.get("/api/sessions/{session_id}/breakdown")
def session_breakdown(session_id: int, vat: str = Query("incl", pattern="^(incl|excl)$"),
                      caller: Caller = Depends(current_caller), engine: Engine = Depends(engine_of)) -> dict:
    visible_session(engine, caller, session_id)
    settlement = current_settlement(engine, session_id)
    if settlement is None or not settlement.get("breakdown"):
        raise HTTPException(404, f"session {session_id} is not priced yet")
    return render(settlement["breakdown"], vat)


def _public(settlement: dict[str, Any], finance: bool) -> dict[str, Any]:
    out = {k: v for k, v in settlement.items() if k not in ("breakdown",)}
    if not finance:
        for key in FINANCE_ONLY:
            out.pop(key, None)
        if out.get("bill_details"):
            out["bill_details"] = {k: v for k, v in out["bill_details"].items()
                                   if k not in ("cost", "margin", "gateway_fee", "platform_fee", "revenue",
                                                "settlement")}
    return out


_DIFF = ("payment_total", "subtotal", "total_tax", "total_cost_excl_vat", "total_cost_incl_vat", "revenue")


def _money(engine: Engine, caller: Caller, session_id: int) -> dict[str, Any]:
    finance = caller.has(Right.FINANCE)
    versions = settlements_of(engine, session_id)
    current = next((v for v in versions if v["current"]), None)
    earlier = []
    for v in versions:
        if v["current"] or current is None:
            continue
        diff = {k: str(Decimal(current[k]) - Decimal(v[k])) for k in _DIFF
                if current.get(k) is not None and v.get(k) is not None and (finance or k != "revenue")}
        earlier.append({**_public(v, finance), "difference_to_current": diff})
    pays = payments_of(engine, session_id)
    return {"settlement": _public(current, finance) if current else None, "earlier_versions": earlier,
            "payments": pays,
            "refundable": str(sum((Decimal(p["refundable"]) for p in pays), Decimal(0))) if pays else "0"}


def _enrich(engine: Engine, caller: Caller, detail: dict) -> None:
    detail["money"] = _money(engine, caller, detail["id"])


def register(app: FastAPI) -> None:
    app.include_router(router)
    if _enrich not in DETAIL_ENRICHERS:
        DETAIL_ENRICHERS.append(_enrich)
