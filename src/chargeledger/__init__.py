"""ChargeLedger: an open-source back office for EV charge point operators."""

__version__ = "0.1.0"
