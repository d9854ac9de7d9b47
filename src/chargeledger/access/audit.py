"""The audit trail: every operator action recorded with who, when and from where, and read back per object.

Recorded only once the action succeeded (a refused or failed request changed nothing, so there is nothing to
audit); read back only within the reader's organisations.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import Engine, select

from ..storage.tables import audit_entries


@dataclass(frozen=True)
class Actor:
    """Who acts, through what, from where."""

    name: str
    via: str  # web, api, cli
    address: str | None = None

    @staticmethod
    def command_line() -> "Actor":
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no name for this uid (a container)
            user = "unknown"
        return Actor(f"{user} (command line)", "cli", "local")


@dataclass(frozen=True)
class Action:
    action: str
    target_kind: str
    target_id: str
    organisation_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def record(engine: Engine, actor: Actor, action: Action, at: datetime | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(audit_entries.insert().values(
            at=at or datetime.now(timezone.utc), organisation_id=action.organisation_id, actor=actor.name[:200],
            via=actor.via, address=(actor.address or "")[:64] or None, action=action.action,
            target_kind=action.target_kind, target_id=str(action.target_id)[:128], details=action.details or None))


def entries(engine: Engine, organisation_ids: Iterable[str], *, target_kind: str | None = None,
            target_id: str | None = None, action: str | None = None, actor: str | None = None,
            since: datetime | None = None, until: datetime | None = None, before_id: int | None = None,
            limit: int = 50) -> list[dict[str, Any]]:
    """Newest first, within the given organisations only."""
    query = select(audit_entries).where(audit_entries.c.organisation_id.in_(list(organisation_ids)))
    for column, value in ((audit_entries.c.target_kind, target_kind), (audit_entries.c.target_id, target_id),
                          (audit_entries.c.action, action), (audit_entries.c.actor, actor)):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(audit_entries.c.at >= since)
    if until is not None:
        query = query.where(audit_entries.c.at < until)
    if before_id is not None:
        query = query.where(audit_entries.c.id < before_id)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(audit_entries.c.id.desc()).limit(limit)).all()
    return [{"id": r.id, "at": r.at.isoformat(), "organisation_id": r.organisation_id, "actor": r.actor,
             "via": r.via, "address": r.address, "action": r.action, "target_kind": r.target_kind,
             "target_id": r.target_id, "details": r.details or {}} for r in rows]
