"""The summary of a session that is nothing but one finished `session_recorded` event, without projecting it.

An imported history row becomes exactly such a session. `project` + `summarise` cost ~60 µs a session, far too much
for a million rows; for this one shape the view follows from five values (start, stop, unplug, energy, identity),
so it is written out here. It must equal what the ledger computes: `tests/importing/test_recorded.py` compares the
two over generated rows, and `bulk.write_batch` checks the first session of every batch against `project` and
sends the whole batch the general way if they ever differ.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Sequence

from ..domain.events import EventKind
from ..domain.flags import Flag, FlagCode
from ..domain.projection import _IDENTITY_KEYS, Milestone, RoamingAttribution, SessionStatus
from ..domain.start_source import start_source_of

# Payload keys this shape understands; any other key the projection reads sends the session the general way.
_READ_BY_PROJECTION = frozenset({"started_at_override", "transaction_id", "meter_start_wh", "meter_stop_wh",
                                 "stop_reason", "simulated"})
_DATA_QUALITY = {"code": FlagCode.DATA_QUALITY.value, "severity": Flag(FlagCode.DATA_QUALITY, "").severity.value,
                 "resolved": False, "resolution": None}
# enum members' .value read once: an enum attribute costs more than the rest of a timeline entry
_CREATED, _STARTING, _CHARGING, _STOPPED, _RELEASED = (m.value for m in (
    Milestone.CREATED, Milestone.STARTING, Milestone.CHARGING, Milestone.STOPPED, Milestone.RELEASED))
_ROAMING_KEYS = tuple(RoamingAttribution.__dataclass_fields__)
_STATUS_STOPPED, _STATUS_CANCELLED = SessionStatus.STOPPED.value, SessionStatus.CANCELLED.value


def _time(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def recorded_alone(kinds: Sequence[EventKind], payload: Mapping[str, Any], started_at: datetime,
                   has_samples: bool) -> datetime | None:
    """The stop time when a session is one finished recorded event this module can summarise, else None.

    A second event may be its roaming attribution (`ROAMING_ATTRIBUTED`, at the start: the caller checks the time)."""
    if has_samples or list(kinds) not in ([EventKind.SESSION_RECORDED],
                                           [EventKind.SESSION_RECORDED, EventKind.ROAMING_ATTRIBUTED]):
        return None
    if not isinstance(payload.get("energy_wh"), (int, float)) or _READ_BY_PROJECTION.intersection(payload):
        return None
    stop, unplug = payload.get("stopped_at"), payload.get("unplugged_at")
    if not isinstance(stop, str) or unplug not in (None, stop):
        return None
    stopped_at = datetime.fromisoformat(stop)
    return stopped_at if stopped_at >= started_at else None


def recorded_summary(payload: Mapping[str, Any], started_at: datetime, stopped_at: datetime,
                     roaming: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What `summarise(project([that event, its roaming attribution]))` returns, for a session `recorded_alone`
    accepted; `roaming` is the stored payload of the attribution."""
    energy = float(payload["energy_wh"])
    unplugged = payload.get("unplugged_at") is not None
    seconds = round((stopped_at - started_at).total_seconds(), 3)
    start, stop = _time(started_at), _time(stopped_at)
    raw_source = payload.get("start_source_raw")
    source = start_source_of(raw_source, payload.get("token_type"))
    timeline = [{"milestone": _CREATED, "at": start, "seconds_in": 0.0},
                {"milestone": _STARTING, "at": start, "seconds_in": 0.0},
                {"milestone": _CHARGING, "at": start, "seconds_in": seconds},
                {"milestone": _STOPPED, "at": stop, "seconds_in": 0.0 if unplugged else None}]
    if unplugged:
        timeline.append({"milestone": _RELEASED, "at": stop, "seconds_in": None})
    return {
        "status": _STATUS_STOPPED if energy > 0 else _STATUS_CANCELLED,
        "created_at": start, "started_at": start, "stopped_at": stop, "ended_at": stop if unplugged else None,
        "transaction_id": None, "stop_reason": None, "failure_reason": None,
        "energy_wh": round(energy, 3), "meter_start_wh": None, "meter_stop_wh": None,
        "plug_seconds": seconds, "charging_seconds": seconds, "idle_seconds": 0.0,
        "charging_source": "transaction", "max_power_w": None,
        "average_power_w": round(energy * 3600.0 / seconds, 1) if seconds > 0 else None,
        "start_source": source.value if source else None, "start_source_raw": raw_source or None,
        "identity": {k: payload[k] for k in _IDENTITY_KEYS if payload.get(k) is not None},
        "roaming": {k: roaming.get(k) for k in _ROAMING_KEYS} if roaming is not None else None,
        "custom_fields": {}, "simulated": False,
        "flags": [{**_DATA_QUALITY, "detail": why} for why in payload.get("implausible") or ()],
        "timeline": timeline, "last_event_at": start,
    }
