"""Which joined-row fields a report's columns read, found in their code, so the query selects only those."""

from __future__ import annotations

import types
from typing import Iterable

from .columns import Column


class _Opaque(Exception):
    """A callable whose code cannot be read (a partial, a C function): the query then selects every field."""


def _names(function, seen: set) -> set[str]:
    # Every attribute name or string constant the code may use, following helpers of the same package and
    # closure cells; over-counting only selects a field too many, while a field left out fails loudly.
    found: set[str] = set()
    if not isinstance(function, types.FunctionType):
        raise _Opaque(function)
    if function in seen:  # by function, not code: lambdas sharing code differ in their closure cells
        return found
    seen.add(function)
    code_objects = [function.__code__]
    for cell in function.__closure__ or ():
        try:
            content = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(content, str):
            found.add(content)
        elif callable(content) and not isinstance(content, type):
            found |= _names(content, seen)
    while code_objects:
        code = code_objects.pop()
        found.update(code.co_names)
        for const in code.co_consts:
            if isinstance(const, str):
                found.add(const)
            elif isinstance(const, types.CodeType):
                code_objects.append(const)
        for name in code.co_names:
            helper = function.__globals__.get(name)
            if isinstance(helper, types.FunctionType) and helper.__module__.startswith("chargeledger."):
                found |= _names(helper, seen)
    return found


def fields_read(columns: Iterable[Column], known: Iterable[str]) -> set[str] | None:
    """The subset of `known` row fields the columns' value and currency functions may read; None: all of them."""
    names: set[str] = set()
    seen: set = set()
    try:
        for column in columns:
            if column.field is not None:
                names.add(column.field)
            names |= _names(column.value, seen)
            if column.currency is not None:
                names |= _names(column.currency, seen)
    except _Opaque:
        return None
    return names & set(known)
