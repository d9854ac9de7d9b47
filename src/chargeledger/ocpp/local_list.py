"""The local authorisation list of a station, for both OCPP versions: built from the operator's token book,
versioned, sent in full or as the difference from what the station holds.

What a station holds is what it last accepted (SendLocalList Accepted): `held` applies the accepted message to it,
whoever built the message (this module, or an operator's own payload through the generic command route). Tokens are
keyed by their case-folded uid (CiString). Entries are kept version-neutral: uid, type, status, expiry, group id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from ..domain.people import token_key
from ..storage.tables import id_tokens
from . import station_state
from .tokens import status_at

TOPIC = "local_list"
FULL, DIFFERENTIAL = "Full", "Differential"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def book(engine: Engine, organisation_id: str, now: datetime) -> dict[str, dict]:
    """The organisation's own tokens as list entries (status as of now: an expired Accepted token is Expired)."""
    with engine.connect() as conn:
        rows = conn.execute(select(id_tokens).where(id_tokens.c.organisation_id == organisation_id,
                                                    id_tokens.c.roaming.is_(False))).all()
    return {row.uid_key: {"uid": row.uid, "type": row.token_type or "ISO14443",
                          "status": status_at(row.status, row.expires_at, now), "expires_at": _iso(row.expires_at),
                          "group_id": row.group_id} for row in rows}


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
            if len(entry["uid"]) > 20:  # 1.6 idTag is CiString20: a longer token (a contract id) cannot be listed
                continue
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
    return {"versionNumber": list_version, "updateType": update_type, "localAuthorizationList": items}


def plan(engine: Engine, station_id: str, organisation_id: str, version: str, update_type: str,
         now: datetime) -> dict:
    """The next SendLocalList for this station: version one above what it holds."""
    held = holding(engine, station_id)
    wanted = book(engine, organisation_id, now)
    entries = wanted if update_type == FULL else changes(held["tokens"], wanted)
    return message(version, held["version"] + 1, update_type, entries, held["tokens"])


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
    station_state.remember(engine, station_id, TOPIC, {**held, "version": list_version,
                                                       "update_type": request["update_type"], "tokens": tokens,
                                                       "sent_at": _iso(at)}, at)


def reported(engine: Engine, station_id: str, list_version: int, at: datetime) -> None:
    """GetLocalListVersion: the version the station says it holds (0: none), beside what we believe."""
    held = holding(engine, station_id)
    station_state.remember(engine, station_id, TOPIC, {**held, "reported_version": list_version,
                                                       "reported_at": _iso(at)}, at)
