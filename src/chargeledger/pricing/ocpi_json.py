"""OCPI JSON in and out with every number kept exact: Decimal in, the same digits out."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def loads(text: str | bytes) -> Any:
    """Parse OCPI JSON; fractional numbers become Decimal so money never passes through float."""
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any, indent: int | None = None) -> str:
    """Serialise to JSON writing Decimal as a bare number with its own digits (json cannot)."""
    return _encode(value, indent, 0)


def _encode(value: Any, indent: int | None, level: int) -> str:
    if isinstance(value, Decimal):
        # 'f' keeps "2.50" as 2.50 and never switches to exponent notation for OCPI-sized values
        return format(value, "f")
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{json.dumps(str(k))}: {_encode(v, indent, level + 1)}" for k, v in value.items()]
        return _wrap("{", "}", items, indent, level)
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return _wrap("[", "]", [_encode(v, indent, level + 1) for v in value], indent, level)
    return json.dumps(value)


def _wrap(open_: str, close: str, items: list[str], indent: int | None, level: int) -> str:
    if indent is None:
        return open_ + ", ".join(items) + close
    pad = " " * (indent * (level + 1))
    return open_ + "\n" + ",\n".join(pad + i for i in items) + "\n" + " " * (indent * level) + close
