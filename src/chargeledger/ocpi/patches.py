"""OCPI PUT or PATCH: what a partner must be sent so that its copy of an object becomes the new one, and what its copy
is after a PUT or PATCH. Pure functions over wire objects (dicts as they are sent).

A PATCH carries only the fields that changed, each whole, plus `last_updated` (2.2.1 sessions module, PATCH
method). `charging_periods` in a PATCH are added to the partner's list, never replace it, so a list that is not the
old one with periods added needs a PUT, as does a field that went away (a PATCH cannot remove one).
"""

from __future__ import annotations

from typing import Any

APPENDED = frozenset({"charging_periods"})


def difference(before: dict[str, Any] | None, after: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """("PUT", whole object), ("PATCH", changed fields + last_updated), or None when only last_updated moved."""
    if before is None or any(name not in after for name in before):
        return "PUT", after
    changed: dict[str, Any] = {}
    for name, value in after.items():
        if name == "last_updated" or before.get(name) == value:
            continue
        if name in APPENDED:
            old = before.get(name) or []
            if value[:len(old)] != old:
                return "PUT", after
            changed[name] = value[len(old):]
        else:
            changed[name] = value
    if not changed:
        return None
    changed["last_updated"] = after["last_updated"]
    return "PATCH", changed


def apply(current: dict[str, Any] | None, method: str, body: dict[str, Any]) -> dict[str, Any]:
    """The object after a PUT (the body) or a PATCH (its fields over the current ones; periods added). Applied to a
    PATCH instead of an object, it merges two PATCHes into one that has the effect of both."""
    if method == "PUT" or current is None:
        return dict(body)
    merged = dict(current)
    for name, value in body.items():
        merged[name] = (merged.get(name) or []) + value if name in APPENDED else value
    return merged
