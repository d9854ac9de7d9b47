"""The running price shown on a live session's page when it opens (the live stream keeps it current)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy import Engine

log = logging.getLogger(__name__)


def running_price_of(engine: Engine, session_id: int) -> dict | None:
    from ..settlement.running import running_price
    try:
        return running_price(engine, session_id, datetime.now(timezone.utc))
    except Exception:  # noqa: BLE001 - a price that cannot be worked out yet shows as "—", never a broken page
        log.exception("no running price for session %s", session_id)
        return None
