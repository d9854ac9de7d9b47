"""CDR rows: one per settlement version created (settled) in the time frame, on the requested organisations."""

from __future__ import annotations

from typing import Callable, Iterator

from sqlalchemy import and_, true
from sqlalchemy.engine import Connection

from ..storage.tables import session_settlements as ss, sessions as s
from .source import count, in_frame, joined_rows

Progress = Callable[[int, int], None]


def cdr_rows(conn: Connection, request, progress: Progress | None = None, every_version: bool = False) -> Iterator:
    """The rows in order; `progress` hears (rows read, rows in all) every 1,000 rows and at the end."""
    on = ss.c.session_id == s.c.id if every_version else and_(ss.c.session_id == s.c.id, ss.c.current == true())
    query = joined_rows(on).where(*in_frame(request, ss.c.settled_at)).order_by(ss.c.settled_at, s.c.id, ss.c.version)
    total = count(conn, query) if progress else 0
    read = 0
    # from a server-side cursor, 2,000 rows at a time: memory does not grow with the number of CDRs
    rows = conn.execution_options(stream_results=True, yield_per=2000).execute(query)
    for read, row in enumerate(rows, 1):
        yield row
        if progress and read % 1000 == 0:
            progress(read, total)
    if progress:
        progress(read, total)


def previous_version(conn: Connection, session_id: int, version: int):
    """The settlement version a re-pricing replaces (its CDR is the one credited)."""
    on = and_(ss.c.session_id == s.c.id, ss.c.version == version - 1)
    return conn.execute(joined_rows(on).where(s.c.id == session_id)).first()
