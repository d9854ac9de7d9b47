"""The session ledger: append events and samples, recompute projections. The write side of ChargeLedger."""

from .store import Ledger, NewEvent, SessionRef

__all__ = ["Ledger", "NewEvent", "SessionRef"]
