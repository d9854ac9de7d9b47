"""What the operator sees of each partner, one dict per partner: the CLI's `partner list`, the API and the page
read it from here. Its push queue (pending, failed with the partner's answer, retried, sent), and for a hub the
parties behind it with their connection status."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from . import hubs, queue
from . import partners as store


def summaries(engine: Engine, organisation_id: str | None = None) -> list[tuple[store.Partner, dict[str, Any]]]:
    counts = queue.counts(engine)
    behind = hubs.parties(engine)
    out = []
    for p in store.listing(engine, organisation_id):
        c = counts.get(p.id, queue.Counts())
        out.append((p, {
            "id": p.id, "name": p.name, "organisation": p.organisation_id, "party": f"{p.country_code}*{p.party_id}",
            "status": p.status, "version": p.version, "modules": sorted({e["identifier"] for e in p.endpoints}),
            "pending": c.pending, "failed": c.failed, "retrying": c.retrying, "sent": c.sent,
            "last_push_at": c.last_sent_at, "last_error": c.last_error, "hub": p.is_hub,
            "parties": behind.get(p.id, [])}))
    return out
