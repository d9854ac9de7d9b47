"""Finding the adapters that are installed: optional modules that plug commands, routes or reactions in."""

from __future__ import annotations

import importlib
from types import ModuleType


def installed(names: tuple[str, ...]) -> list[ModuleType]:
    """Import each module that exists; a missing one is skipped, but an import error inside one is raised."""
    found = []
    for name in names:
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if not name.startswith(exc.name or "\0"):
                raise
    return found
