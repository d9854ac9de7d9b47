"""Creating users, checking passwords (Argon2id) and issuing API keys and login tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, select, update

from ..storage.tables import api_keys, organisations, user_organisations, users
from .passwords import HASHER, hash_password, matches, verify_password  # noqa: F401 - also this module's API
from .rights import Caller, Right, parse_rights

LOGIN_LIFETIME = timedelta(hours=12)


class AccountError(ValueError):
    pass


def _key_hash(key: str) -> str:
    # Keys are 256-bit random, so a fast hash is enough; it lets us look one up by its hash.
    return hashlib.sha256(key.encode()).hexdigest()


def add_user(engine: Engine, email: str, organisation_ids: list[str], rights: list[str] | str,
             password: str | None = None, time_zone: str = "UTC", locale: str | None = None) -> int:
    parsed = parse_rights(rights)
    if locale:
        locale = checked_locale(locale)
    with engine.begin() as conn:
        known = set(conn.execute(select(organisations.c.id).where(organisations.c.id.in_(organisation_ids))).scalars())
        missing = [o for o in organisation_ids if o not in known]
        if missing:
            raise AccountError(f"unknown organisation(s): {', '.join(missing)}")
        if conn.execute(select(users.c.id).where(users.c.email == email.lower())).first():
            raise AccountError(f"a user {email} exists already")
        user_id = conn.execute(users.insert().values(
            email=email.lower(), password_hash=hash_password(password) if password else None,
            rights=",".join(sorted(r.value for r in parsed)), time_zone=time_zone, locale=locale or None,
            created_at=datetime.now(timezone.utc))).inserted_primary_key[0]
        conn.execute(user_organisations.insert(), [{"user_id": user_id, "organisation_id": o}
                                                   for o in organisation_ids])
    return user_id


def create_key(engine: Engine, email: str, kind: str = "api", lifetime: timedelta | None = None) -> str:
    key = ("clk_" if kind == "api" else "cls_") + secrets.token_urlsafe(32)
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        user_id = conn.execute(select(users.c.id).where(users.c.email == email.lower())).scalar()
        if user_id is None:
            raise AccountError(f"no user {email}")
        conn.execute(api_keys.insert().values(
            user_id=user_id, key_hash=_key_hash(key), prefix=key[:8], kind=kind, created_at=now,
            expires_at=now + lifetime if lifetime else None))
    return key


def login(engine: Engine, email: str, password: str) -> str | None:
    """In this process (scripts, tests); the server checks in its password pool (http/routes/auth.py)."""
    stored = stored_hash(engine, email)
    return issue_login(engine, email, password, stored) if matches(stored, password) else None


# `login` in its three steps, so that only the password check itself (`passwords.matches`) runs in the password
# pool's worker process (access/password_pool.py): the lookup and the key stay in the server.
def stored_hash(engine: Engine, email: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(users.c.password_hash).where(users.c.email == email.lower())).scalar()


def issue_login(engine: Engine, email: str, password: str, stored: str) -> str:
    """A login token, after a successful check (moving an older, heavier hash to the current parameters)."""
    if HASHER.check_needs_rehash(stored):
        with engine.begin() as conn:
            conn.execute(update(users).where(users.c.email == email.lower())
                         .values(password_hash=hash_password(password)))
    return create_key(engine, email, kind="login", lifetime=LOGIN_LIFETIME)


def logout(engine: Engine, key: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(api_keys).where(api_keys.c.key_hash == _key_hash(key)).values(revoked=True))


def caller_for_key(engine: Engine, key: str) -> Caller | None:
    now = datetime.now(timezone.utc)
    with engine.connect() as conn:
        row = conn.execute(
            select(users.c.id, users.c.email, users.c.rights, users.c.time_zone, users.c.locale, api_keys.c.expires_at,
                   api_keys.c.revoked)
            .join(api_keys, api_keys.c.user_id == users.c.id)
            .where(api_keys.c.key_hash == _key_hash(key))).first()
        if row is None or row.revoked or (row.expires_at and row.expires_at < now):
            return None
        orgs = frozenset(conn.execute(select(user_organisations.c.organisation_id)
                                      .where(user_organisations.c.user_id == row.id)).scalars())
    return Caller(row.id, row.email, parse_rights(row.rights), orgs, row.time_zone, row.locale)


def checked_locale(name: str) -> str:
    """A locale Babel knows (de_DE, de-DE, nl, en_US), in Babel's spelling; anything else is refused."""
    from babel import Locale, UnknownLocaleError
    try:
        return str(Locale.parse(name.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        raise AccountError(f"unknown locale {name!r}; use a language tag such as de_DE or en_US") from None


__all__ = ["AccountError", "Right", "add_user", "caller_for_key", "create_key", "login", "logout"]
