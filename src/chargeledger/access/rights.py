"""Rights as operators name them, and who a caller is."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Right(StrEnum):
    ADMIN = "admin"        # users, organisations, everything below
    STATIONS = "stations"  # stations and their commands
    REPORTS = "reports"    # reports and exports
    FINANCE = "finance"    # cost, margin, revenue
    SUPPORT = "support"    # driver contact details, stop and refund


def parse_rights(values: str | list[str] | None) -> frozenset[Right]:
    if not values:
        return frozenset()
    items = values.split(",") if isinstance(values, str) else values
    try:
        return frozenset(Right(v.strip().lower()) for v in items if v.strip())
    except ValueError as exc:
        raise ValueError(f"unknown right; choose from {', '.join(r.value for r in Right)}") from exc


@dataclass(frozen=True)
class Caller:
    user_id: int
    email: str
    rights: frozenset[Right]
    organisation_ids: frozenset[str]
    time_zone: str = "UTC"
    locale: str | None = None  # the user's own setting; None: their browser's Accept-Language

    def has(self, right: Right) -> bool:
        return Right.ADMIN in self.rights or right in self.rights

    def sees(self, organisation_id: str | None) -> bool:
        return organisation_id in self.organisation_ids
