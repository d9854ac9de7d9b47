"""The local authorisation list of a station, for both OCPP versions: built from the operator's token book,
versioned, sent in full or as the difference from what the station holds.

What a station holds is what it last accepted (SendLocalList Accepted): `held` applies the accepted message to it,
whoever built the message (this module, or an operator's own payload through the generic command route). Tokens are
keyed by their case-folded uid (CiString). Entries are kept version-neutral: uid, type, status, expiry, group id.

A station says how many entries one SendLocalList may carry (1.6 SendLocalListMaxLength; 2.0.1
LocalAuthListCtrlr.ItemsPerMessage) and how many it can hold (1.6 LocalAuthListMaxLength; 2.0.1 the maxLimit of
LocalAuthListCtrlr.Entries): a longer update goes as several messages, the first of the asked type and the rest
Differential, each one version higher (a station sets its version to each message's, and refuses a differential
update that is not above what it holds); a book larger than the station can hold is refused, not truncated."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from ..domain.people import token_key
from ..storage.tables import id_tokens
from . import station_state
from .configuration import configuration_of
from .device_model import device_model
from .tokens import status_at

TOPIC = "local_list"
FULL, DIFFERENTIAL = "Full", "Differential"
# where each version's station reports its limits: (per message, capacity)
LIMIT_KEYS_16 = ("SendLocalListMaxLength", "LocalAuthListMaxLength")
COMPONENT_201 = "LocalAuthListCtrlr"


class TooLarge(ValueError):
    """The operator's book holds more tokens than the station can keep."""

    def __init__(self, tokens: int, capacity: int):
        super().__init__(f"the list has {tokens} tokens but the station holds at most {capacity}: remove tokens "
                         f"or raise its limit (1.6 LocalAuthListMaxLength, 2.0.1 LocalAuthListCtrlr.Entries)")
        self.tokens, self.capacity = tokens, capacity


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def book(engine: Engine, organisation_id: str, now: datetime, version: str = "2.0.1") -> dict[str, dict]:
    """The organisation's own tokens as list entries (status as of now: an expired Accepted token is Expired).
    1.6 idTag is CiString20: a longer token (a contract id) cannot be listed there."""
    with engine.connect() as conn:
        rows = conn.execute(select(id_tokens).where(id_tokens.c.organisation_id == organisation_id,
                                                    id_tokens.c.roaming.is_(False))).all()
    return {row.uid_key: {"uid": row.uid, "type": row.token_type or "ISO14443",
                          "status": status_at(row.status, row.expires_at, now), "expires_at": _iso(row.expires_at),
                          "group_id": row.group_id} for row in rows if version != "1.6" or len(row.uid) <= 20}


def _positive(value) -> int | None:
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def limits(engine: Engine, station_id: str, version: str) -> tuple[int | None, int | None] | None:
    """(entries per message, entries the station holds) as it reported them, None where it gave no limit; None
    when it never told us anything about them (then it is worth asking)."""
    if version == "1.6":
        known = {item["key"]: item["value"] for item in configuration_of(engine, station_id)
                 if item["key"] in LIMIT_KEYS_16}
        if not known:
            return None
        return _positive(known.get(LIMIT_KEYS_16[0])), _positive(known.get(LIMIT_KEYS_16[1]))
    rows = [r for r in device_model(engine, station_id, COMPONENT_201) if r["attribute_type"] == "Actual"]
    per_message = next((r["value"] for r in rows if r["variable"] == "ItemsPerMessage"), None)
    entries = next((r for r in rows if r["variable"] == "Entries"), None)
    if per_message is None and entries is None:
        return None
    capacity = ((entries or {}).get("characteristics") or {}).get("max_limit")  # a number in the report
    return _positive(per_message), _positive(int(capacity) if isinstance(capacity, (int, float)) else None)


def holding(engine: Engine, station_id: str) -> dict:
    """{"version": n, "tokens": {key: entry}, "reported_version": n?} as far as we know; version 0: no list."""
    return station_state.recall(engine, station_id, TOPIC) or {"version": 0, "tokens": {}}


def changes(held: dict[str, dict], wanted: dict[str, dict]) -> dict[str, dict | None]:
    """The differential update that turns `held` into `wanted`: changed or new entries, None for removals."""
    diff: dict[str, dict | None] = {k: v for k, v in wanted.items() if held.get(k) != v}
    diff.update({k: None for k in held if k not in wanted})
    return diff


def message(version: str, list_version: int, update_type: str, entries: dict[str, dict | None],
            held: dict[str, dict]) -> dict:
    """The SendLocalList payload (camelCase, as the command route takes it) for one protocol version."""
    items = []
    for key, entry in sorted(entries.items()):
        removed = entry is None
        entry = entry or held.get(key) or {"uid": key, "type": "ISO14443"}
        if version == "1.6":
            item = {"idTag": entry["uid"]}
            if not removed:
                item["idTagInfo"] = {k: v for k, v in {"status": entry["status"], "expiryDate": entry["expires_at"],
                                                       "parentIdTag": entry["group_id"]}.items() if v}
        else:
            item = {"idToken": {"idToken": entry["uid"], "type": entry["type"]}}
            if not removed:
                info = {"status": entry["status"], "cacheExpiryDateTime": entry["expires_at"]}
                if entry["group_id"]:
                    info["groupIdToken"] = {"idToken": entry["group_id"], "type": "Central"}
                item["idTokenInfo"] = {k: v for k, v in info.items() if v}
        items.append(item)
    if version == "1.6":
        return {"listVersion": list_version, "updateType": update_type, "localAuthorizationList": items}
    if not items:  # 2.0.1 allows no empty list (minItems 1): a Full update without one empties the station's (D01)
        return {"versionNumber": list_version, "updateType": update_type}
    return {"versionNumber": list_version, "updateType": update_type, "localAuthorizationList": items}


def plan(engine: Engine, station_id: str, organisation_id: str, version: str, update_type: str,
         now: datetime, per_message: int | None = None, capacity: int | None = None) -> list[dict]:
    """The next SendLocalList messages for this station, in order: versions counting up from what it holds, at most
    `per_message` entries each (one message when the update is empty). TooLarge: more tokens than `capacity`."""
    held = holding(engine, station_id)
    wanted = book(engine, organisation_id, now, version)
    if capacity is not None and len(wanted) > capacity:
        raise TooLarge(len(wanted), capacity)
    entries = sorted((wanted if update_type == FULL else changes(held["tokens"], wanted)).items())
    size = per_message or max(len(entries), 1)
    parts = [entries[start:start + size] for start in range(0, len(entries), size)] or [[]]
    return [message(version, held["version"] + 1 + n, update_type if n == 0 else DIFFERENTIAL, dict(part),
                    held["tokens"]) for n, part in enumerate(parts)]


def too_large(engine: Engine, station_id: str, refused: TooLarge, at: datetime) -> None:
    """Flag on the station's list state: the book did not fit (cleared by the next list it accepts)."""
    held = holding(engine, station_id)
    station_state.remember(engine, station_id, TOPIC, {**held, "too_large": {
        "tokens": refused.tokens, "capacity": refused.capacity, "at": _iso(at)}}, at)


def _entry(version: str, item: dict) -> tuple[str, dict | None]:
    """One list item of an accepted message (library snake_case) as (key, entry or None for a removal)."""
    if version == "1.6":
        uid, info = item["id_tag"], item.get("id_tag_info")
        entry = info and {"uid": uid, "type": "ISO14443", "status": info["status"],
                          "expires_at": info.get("expiry_date"), "group_id": info.get("parent_id_tag")}
    else:
        uid, info = item["id_token"]["id_token"], item.get("id_token_info")
        entry = info and {"uid": uid, "type": item["id_token"].get("type") or "ISO14443", "status": info["status"],
                          "expires_at": info.get("cache_expiry_date_time"),
                          "group_id": (info.get("group_id_token") or {}).get("id_token")}
    return token_key(uid), entry


def accepted(engine: Engine, station_id: str, version: str, request: dict, at: datetime) -> None:
    """The station accepted this SendLocalList (payload in snake_case): it now holds its version and entries."""
    held = holding(engine, station_id)
    tokens = {} if request["update_type"] == FULL else dict(held["tokens"])
    for item in request.get("local_authorization_list") or []:
        key, entry = _entry(version, item)
        if entry is None:
            tokens.pop(key, None)
        else:
            tokens[key] = entry
    list_version = request["list_version"] if version == "1.6" else request["version_number"]
    held.pop("too_large", None)
    station_state.remember(engine, station_id, TOPIC, {**held, "version": list_version,
                                                       "update_type": request["update_type"], "tokens": tokens,
                                                       "sent_at": _iso(at)}, at)


def reported(engine: Engine, station_id: str, list_version: int, at: datetime) -> None:
    """GetLocalListVersion: the version the station says it holds (0: none), beside what we believe."""
    held = holding(engine, station_id)
    station_state.remember(engine, station_id, TOPIC, {**held, "reported_version": list_version,
                                                       "reported_at": _iso(at)}, at)
