"""Session templates: the rows `write_batch` would store for a session, computed once and stamped out many times.

A benchmark needs a million real sessions but cannot afford a projection per session; a template keeps the
exact rows of one projected session (summary and payloads as JSON text) and a copy moves every time in them by
a delta and gives the copy its own keys. The rows stay what the ledger would have written for the moved session.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ..domain.events import SessionEvent
from ..domain.projection import project
from ..ledger.store import stored_payload
from .bulk import SessionRecord, _unique_samples, session_values

# ISO times as the ledger writes them in JSON (summary: "…Z"; payloads: isoformat with an offset).
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")


class Shiftable:
    """A JSON text whose embedded ISO times can be moved by a delta, keeping each time's own format."""

    __slots__ = ("parts", "times")

    def __init__(self, text: str):
        self.parts = _TIME.split(text)
        self.times = [(datetime.fromisoformat(t.replace("Z", "+00:00")), t.endswith("Z"))
                      for t in _TIME.findall(text)]

    def at(self, delta: timedelta) -> str:
        if not self.times:
            return self.parts[0]
        out = [self.parts[0]]
        for (moment, zulu), part in zip(self.times, self.parts[1:]):
            text = (moment + delta).isoformat()
            out.append(text[:-6] + "Z" if zulu else text)
            out.append(part)
        return "".join(out)


@dataclass(frozen=True)
class EventTemplate:
    seq: int
    kind: str
    occurred_at: datetime
    source: str
    payload: Shiftable
    key_suffix: str | None  # the idempotency key after the session's external key


@dataclass(frozen=True)
class SessionTemplate:
    external_key: str
    values: dict[str, Any]  # the sessions row without summary
    summary: Shiftable
    events: tuple[EventTemplate, ...]
    samples: tuple[tuple[datetime, int, int, int, float], ...]  # time, measurand, phase, location, value


def template_of(record: SessionRecord, now: datetime | None = None) -> SessionTemplate:
    """Project the record exactly as `write_batch` does and keep the rows it would write."""
    key = record.ref.external_key
    recorded_at = now or datetime.now(timezone.utc)
    domain_events, events = [], []
    for seq, event in enumerate(record.events, start=1):
        payload = stored_payload(event)
        domain_events.append(SessionEvent(event.kind, event.occurred_at, event.source, payload, recorded_at, seq))
        suffix = None
        if event.idempotency_key:
            suffix = event.idempotency_key[len(key):] if event.idempotency_key.startswith(key) else None
            if suffix is None:
                raise ValueError(f"idempotency key {event.idempotency_key!r} does not start with {key!r}")
        events.append(EventTemplate(seq, event.kind.value, event.occurred_at, event.source.value,
                                    Shiftable(json.dumps(payload)), suffix))
    samples = _unique_samples(record.samples)
    view = project(domain_events, samples, now=now)
    created_at = min((e.occurred_at for e in record.events), default=recorded_at)
    values = session_values(record.ref, view, created_at)
    summary = Shiftable(json.dumps(values.pop("summary")))
    return SessionTemplate(key, values, summary, tuple(events),
                           tuple((s.time, int(s.measurand), int(s.phase), int(s.location), float(s.value))
                                 for s in samples))


_TIME_COLUMNS = ("started_at", "stopped_at", "last_event_at", "created_at")


def stamp(template: SessionTemplate, key: str, delta: timedelta) -> tuple[dict[str, Any], list[dict], list[tuple]]:
    """One copy: its sessions row (summary as JSON text), event rows (payload as text) and sample tuples."""
    row = dict(template.values)
    row["external_key"] = key
    for name in _TIME_COLUMNS:
        if row[name] is not None:
            row[name] = row[name] + delta
    row["summary"] = template.summary.at(delta)
    events = [{"seq": e.seq, "kind": e.kind, "occurred_at": e.occurred_at + delta, "source": e.source,
               "payload": e.payload.at(delta), "idempotency_key": key + e.key_suffix if e.key_suffix else None}
              for e in template.events]
    samples = [(t + delta, m, p, loc, v) for t, m, p, loc, v in template.samples]
    return row, events, samples
