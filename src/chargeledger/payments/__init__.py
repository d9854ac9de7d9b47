"""Payments of sessions: records, capture attempts, refunds, and the gateways behind an interface.

No live payment provider is reachable from ChargeLedger; the default gateway is the simulated one (gateway.py).
"""
