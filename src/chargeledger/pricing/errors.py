"""Refusals raised by the pricing package: each one says exactly what is wrong and where."""

from __future__ import annotations


class TariffError(ValueError):
    """A tariff that cannot be priced; `problems` lists (field_path, reason), e.g. ("elements[0].price_components[1].step_size", "must be > 0")."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = list(problems)
        super().__init__("; ".join(f"{path}: {reason}" for path, reason in self.problems))


class CdrError(ValueError):
    """A CDR whose charging periods cannot be priced (overlapping, backwards, without dimensions, ...)."""

    def __init__(self, field_path: str, reason: str):
        self.field_path = field_path
        self.reason = reason
        super().__init__(f"{field_path}: {reason}")


class UsageError(ValueError):
    """A ChargeLedger usage record that cannot be priced (samples out of order, energy falling, ...)."""
