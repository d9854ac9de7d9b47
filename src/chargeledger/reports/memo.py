"""Remembering a conversion by its input value, with a bound: prices, zones and summaries repeat across rows."""

from __future__ import annotations

from typing import Any, Callable

LIMIT = 50_000  # remembered values per column or field; cleared when full, so memory stays flat


def remembered_by_value(compute: Callable[[Any], Any], when_none: Any, zero_is_a_key: bool
                        ) -> Callable[[Any], Any]:
    """compute(value), remembered; None gives `when_none`.

    Without `zero_is_a_key`, zeros are computed each time: -0 and 0 are one dict key but may print differently.
    """
    memo: dict = {}

    def remembered(value):
        if value is None:
            return when_none
        if not zero_is_a_key and not value:
            return compute(value)
        try:
            return memo[value]
        except KeyError:
            pass
        except TypeError:  # unhashable (a signalling NaN, a raw list)
            return compute(value)
        out = compute(value)
        if len(memo) >= LIMIT:
            memo.clear()
        memo[value] = out
        return out
    return remembered


def keep(memo: dict, key: Any, value: Any, limit: int | None = None) -> Any:
    """Store value under key, clearing the memory first when it is full; returns value."""
    if len(memo) >= (LIMIT if limit is None else limit):
        memo.clear()
    memo[key] = value
    return value
