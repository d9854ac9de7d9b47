"""The pure domain core: sessions, their events, projections and data-quality flags.

Nothing in this package does I/O or imports a database, web or protocol library.
"""
