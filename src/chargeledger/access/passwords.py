"""Passwords of people and stations: Argon2id hashes, and the one check of a password against a stored hash.

This module imports argon2 and nothing of the application: the password worker process (password_worker.py) runs
it on its own, so it must stay this small.
"""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's Argon2id minimum (19 MiB, 2 passes, 1 lane): one check costs one core for tens of milliseconds and
# 19 MiB, so the bounded password pool (password_pool.py) keeps a burst of logins small in memory and CPU.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    except UnicodeError:  # a lone surrogate from JSON: no stored hash can be of it, as none could be made of it
        return False


def matches(stored_hash: str | None, password: str | None) -> bool:
    """True for the right password. Without a stored hash (an unknown email, a station without a password) the same
    check runs against a dummy hash and is False: a wrong account costs what a wrong password costs (no
    enumeration)."""
    return verify_password(stored_hash or _dummy_hash(), password or "") and bool(stored_hash)


@cache
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(16))
