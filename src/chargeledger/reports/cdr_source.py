"""CDR rows: one per settlement version created (settled) in the time frame, on the requested organisations."""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import and_, true
from sqlalchemy.engine import Connection

from ..storage.tables import session_settlements as ss, sessions as s
from .source import joined_rows, stream


def cdr_query(request, every_version: bool = False):
    on = ss.c.session_id == s.c.id if every_version else and_(ss.c.session_id == s.c.id, ss.c.current == true())
    where = [ss.c.settled_at >= request.start, ss.c.settled_at < request.end,
             s.c.organisation_id.in_(request.organisation_ids)]
    if request.network:
        where.append(s.c.network == request.network)
    return joined_rows(on).where(*where).order_by(ss.c.settled_at, s.c.id, ss.c.version)


def cdr_rows(conn: Connection, request, every_version: bool = False) -> Iterator:
    return stream(conn, cdr_query(request, every_version))


def previous_version(conn: Connection, session_id: int, version: int):
    """The settlement version a re-pricing replaces (its CDR is the one credited)."""
    on = and_(ss.c.session_id == s.c.id, ss.c.version == version - 1)
    return conn.execute(joined_rows(on).where(s.c.id == session_id)).first()
