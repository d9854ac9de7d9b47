"""The operator's token book: id tokens (RFID UIDs, contract IDs) of one organisation, with their status.

A uid is unique within its organisation and compared case-insensitively (OCPP CiString), through `token_key`.
Every change stamps `updated_at`: the local authorisation lists sent to stations are built from this book.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import Engine, bindparam, delete, select, update
from sqlalchemy.engine import Connection

from ..domain.people import TokenStatus, token_key
from ..storage.tables import drivers, id_tokens, organisations, teams

TOKEN_TYPES = ("ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "Central", "eMAID", "NoAuthorization")
_EDITABLE = ("status", "expires_at", "group_id", "driver_id", "team_id", "contract_id", "token_type", "roaming")


class TokenError(ValueError):
    """A token the book refuses; `not_found` tells a missing token from a bad one."""

    def __init__(self, message: str, not_found: bool = False):
        super().__init__(message)
        self.not_found = not_found


@dataclass(frozen=True)
class TokenEntry:
    """What the operator says about one token; None leaves a field as it is on update."""

    uid: str
    status: str | None = None
    expires_at: datetime | None = None
    group_id: str | None = None
    driver_id: str | None = None
    team_id: str | None = None
    contract_id: str | None = None
    token_type: str | None = None
    roaming: bool | None = None
    cleared: frozenset[str] = field(default_factory=frozenset)  # fields to empty on update (e.g. the expiry)

    def values(self) -> dict:
        given = {name: getattr(self, name) for name in _EDITABLE if getattr(self, name) is not None}
        given.update({name: None for name in self.cleared if name in _EDITABLE})
        return given


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _check(conn: Connection, organisation_id: str, values: dict, owners: "_Owners | None" = None) -> None:
    status = values.get("status")
    if status is not None and status not in {s.value for s in TokenStatus}:
        raise TokenError(f"status {status!r}: choose from {', '.join(s.value for s in TokenStatus)}")
    if values.get("token_type") is not None and values["token_type"] not in TOKEN_TYPES:
        raise TokenError(f"token_type {values['token_type']!r}: choose from {', '.join(TOKEN_TYPES)}")
    expiry = values.get("expires_at")
    if expiry is not None and expiry.tzinfo is None:
        raise TokenError("expires_at needs a time zone offset, for example 2025-01-01T00:00:00Z")
    for name in ("group_id", "contract_id"):
        if values.get(name) is not None and not 0 < len(values[name]) <= 64:
            raise TokenError(f"{name} is 1 to 64 characters")
    owners = owners or _Owners(conn, organisation_id)
    # a driver or team of another organisation reads exactly like one that does not exist
    for name in ("driver_id", "team_id"):
        if values.get(name) is not None and not owners.known(name, values[name]):
            raise TokenError(f"unknown {name.removesuffix('_id')} {values[name]}")


class _Owners:
    """The organisation's drivers and teams, each read once when first asked (an import asks thousands of times)."""

    def __init__(self, conn: Connection, organisation_id: str):
        self.conn, self.organisation_id, self._ids = conn, organisation_id, {}

    def known(self, name: str, value: str) -> bool:
        if name not in self._ids:
            table = drivers if name == "driver_id" else teams
            self._ids[name] = set(self.conn.execute(select(table.c.id).where(
                table.c.organisation_id == self.organisation_id)).scalars())
        return value in self._ids[name]


def _check_uid(uid: str) -> str:
    uid = (uid or "").strip()
    if not uid or len(uid) > 64:  # 1.6 IdToken is CiString20, 2.0.1 idToken 36, contract ids (eMAID) longer
        raise TokenError("uid is 1 to 64 characters")
    return uid


def _row(conn: Connection, organisation_id: str, uid: str):
    return conn.execute(select(id_tokens).where(id_tokens.c.organisation_id == organisation_id,
                                                id_tokens.c.uid_key == token_key(uid))).first()


def add(engine: Engine, organisation_id: str, entry: TokenEntry) -> dict:
    uid = _check_uid(entry.uid)
    values = {"status": TokenStatus.ACCEPTED.value, "token_type": "ISO14443", "roaming": False, **entry.values()}
    with engine.begin() as conn:
        if conn.execute(select(organisations.c.id).where(organisations.c.id == organisation_id)).first() is None:
            raise TokenError(f"unknown organisation {organisation_id}", not_found=True)
        _check(conn, organisation_id, values)
        if _row(conn, organisation_id, uid) is not None:
            raise TokenError(f"token {uid} exists already (id tokens are compared without regard to case)")
        conn.execute(id_tokens.insert().values(organisation_id=organisation_id, uid=uid, uid_key=token_key(uid),
                                               updated_at=_now(), **values))
        return _public(_row(conn, organisation_id, uid))


def change(engine: Engine, organisation_id: str, entry: TokenEntry) -> dict:
    values = entry.values()
    with engine.begin() as conn:
        row = _row(conn, organisation_id, entry.uid)
        if row is None:
            raise TokenError(f"no token {entry.uid}", not_found=True)
        _check(conn, organisation_id, values)
        if values:
            conn.execute(update(id_tokens).where(id_tokens.c.id == row.id).values(updated_at=_now(), **values))
        return _public(_row(conn, organisation_id, entry.uid))


def block(engine: Engine, organisation_id: str, uid: str) -> dict:
    return change(engine, organisation_id, TokenEntry(uid, status=TokenStatus.BLOCKED.value))


def remove(engine: Engine, organisation_id: str, uid: str) -> dict:
    """Take a token out of the book (sessions keep the uid they were started with; the next differential local
    list removes it from the stations)."""
    with engine.begin() as conn:
        row = _row(conn, organisation_id, uid)
        if row is None:
            raise TokenError(f"no token {uid}", not_found=True)
        conn.execute(delete(id_tokens).where(id_tokens.c.id == row.id))
    return _public(row)


def get(engine: Engine, organisation_id: str, uid: str) -> dict | None:
    with engine.connect() as conn:
        row = _row(conn, organisation_id, uid)
    return _public(row) if row is not None else None


def listing(engine: Engine, organisation_ids, status: str | None = None, search: str | None = None,
            limit: int = 1000, offset: int = 0) -> list[dict]:
    query = select(id_tokens).where(id_tokens.c.organisation_id.in_(list(organisation_ids)))
    if status:
        query = query.where(id_tokens.c.status == status)
    if search:
        query = query.where(id_tokens.c.uid_key.contains(token_key(search), autoescape=True))
    query = query.order_by(id_tokens.c.organisation_id, id_tokens.c.uid_key).limit(limit).offset(offset)
    with engine.connect() as conn:
        return [_public(row) for row in conn.execute(query)]


def organisations_holding(engine: Engine, organisation_ids, uid: str) -> list[str]:
    """Which of these organisations have a token with this uid (a caller of several must then name one)."""
    with engine.connect() as conn:
        return list(conn.execute(select(id_tokens.c.organisation_id).where(
            id_tokens.c.organisation_id.in_(list(organisation_ids)),
            id_tokens.c.uid_key == token_key(uid))).scalars())


IMPORT_COLUMNS = ("uid", "status", "expires_at", "group_id", "driver_id", "team_id", "contract_id", "token_type")


def import_csv(engine: Engine, organisation_id: str, text: str) -> dict:
    """Add or update the tokens of a CSV file with a header row (columns: IMPORT_COLUMNS, only uid required).

    All or nothing: one bad row refuses the file, naming every bad row and why."""
    reader = csv.DictReader(io.StringIO(text))
    unknown = [c for c in reader.fieldnames or () if c not in IMPORT_COLUMNS]
    if not reader.fieldnames or "uid" not in reader.fieldnames or unknown:
        raise TokenError(f"the header needs a uid column and knows only {', '.join(IMPORT_COLUMNS)}"
                         + (f" (not {', '.join(unknown)})" if unknown else ""))
    entries, problems, seen = [], [], set()
    for line, raw in enumerate(reader, start=2):
        try:
            entry = _entry(raw)
            if token_key(entry.uid) in seen:
                raise TokenError(f"token {entry.uid} appears twice in the file")
            seen.add(token_key(entry.uid))
            entries.append(entry)
        except (TokenError, ValueError) as exc:
            problems.append(f"line {line}: {exc}")
    if problems:
        raise TokenError("the file is refused:\n" + "\n".join(problems))
    with engine.begin() as conn:
        if conn.execute(select(organisations.c.id).where(organisations.c.id == organisation_id)).first() is None:
            raise TokenError(f"unknown organisation {organisation_id}", not_found=True)
        held = dict(conn.execute(select(id_tokens.c.uid_key, id_tokens.c.id).where(
            id_tokens.c.organisation_id == organisation_id)).all())
        owners, now = _Owners(conn, organisation_id), _now()
        new_rows, changes = [], {}  # changes: the same columns in one batch
        for line, entry in enumerate(entries, start=2):
            values = entry.values()
            try:
                _check(conn, organisation_id, values, owners)
            except TokenError as exc:
                raise TokenError(f"line {line}: {exc}") from None
            known = held.get(token_key(entry.uid))
            if known is None:
                new_rows.append({"status": "Accepted", "token_type": "ISO14443", "roaming": False, "group_id": None,
                                 "expires_at": None, "driver_id": None, "team_id": None, "contract_id": None,
                                 **values, "organisation_id": organisation_id, "uid": entry.uid,
                                 "uid_key": token_key(entry.uid), "updated_at": now})
            elif values:
                changes.setdefault(tuple(sorted(values)), []).append({**values, "row_id": known})
        if new_rows:
            conn.execute(id_tokens.insert(), new_rows)
        for columns, rows in changes.items():
            conn.execute(update(id_tokens).where(id_tokens.c.id == bindparam("row_id")).values(
                updated_at=now, **{c: bindparam(c) for c in columns}), rows)
    return {"added": len(new_rows), "updated": sum(len(rows) for rows in changes.values())}


def _entry(raw: dict) -> TokenEntry:
    cells = {k: (v or "").strip() or None for k, v in raw.items() if k in IMPORT_COLUMNS}
    expiry = cells.get("expires_at")
    if expiry is not None:
        try:
            expiry = datetime.fromisoformat(expiry.replace("Z", "+00:00"))
        except ValueError:
            raise TokenError(f"expires_at {cells['expires_at']!r} is not an ISO 8601 time") from None
        if expiry.tzinfo is None:
            raise TokenError("expires_at needs a time zone offset, for example 2025-01-01T00:00:00Z")
    return TokenEntry(_check_uid(cells.get("uid") or ""), cells.get("status"), expiry, cells.get("group_id"),
                      cells.get("driver_id"), cells.get("team_id"), cells.get("contract_id"), cells.get("token_type"))


def _public(row) -> dict:
    data = dict(row._mapping)
    for hidden in ("id", "uid_key"):
        data.pop(hidden)
    return data
