"""The test peers listen on 127.0.0.1, which a partner URL may not name unless the operator allows it (ocpi/
allowed.py): every test here allows exactly that address, as an operator allows its partners' network."""

import pytest

LOOPBACK_ALLOWED = '["127.0.0.1/32"]'


@pytest.fixture(autouse=True)
def peers_on_loopback_are_allowed(monkeypatch):
    monkeypatch.setenv("CHARGELEDGER_OCPI_ALLOWED_NETWORKS", LOOPBACK_ALLOWED)  # serve children inherit it
