"""Who acts through HTTP, for the audit trail: the caller, signed-in browser or API key, and the client address
(the forwarded one only behind a `--trusted-proxy`, which uvicorn resolves before we see the request)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from sqlalchemy import Engine

from ..access.audit import Action, Actor, record
from ..access.rights import Caller
from .deps import current_caller, engine_of


class AuditTrail:
    def __init__(self, engine: Engine, actor: Actor):
        self.engine, self.actor = engine, actor

    def record(self, action: str, target_kind: str, target_id: Any, organisation_id: str | None,
               **details: Any) -> None:
        """Called by a route once its action succeeded."""
        record(self.engine, self.actor, Action(action, target_kind, str(target_id), organisation_id, details))


def audit_trail(request: Request, caller: Caller = Depends(current_caller),
                engine: Engine = Depends(engine_of)) -> AuditTrail:
    via = "api" if request.headers.get("authorization", "").lower().startswith("bearer ") else "web"
    address = request.client.host if request.client else None
    return AuditTrail(engine, Actor(caller.email, via, address))
