"""Which partner URLs ChargeLedger will call (the `ocpi` section of the settings object).

A partner chooses the URLs we call: its versions URL, its endpoints, a command's response_url. Without a limit a
partner (or whoever holds a token A) could make the server call its own network: a cloud metadata service, the
database's HTTP port, an admin page on localhost. So a partner URL must name an allowed host, and every address that
host resolves to must be public unless its network is allowed by name (tests allow 127.0.0.1; an operator whose
partners sit in a private network allows that network).
"""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, ConfigDict, field_validator


class OcpiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # (in the environment as JSON: CHARGELEDGER_OCPI_ALLOWED_NETWORKS='["10.8.0.0/16"]')
    # host names a partner URL may name: exact (emsp.example.com), a domain's subdomains (*.gireve.com), or * (any)
    allowed_hosts: list[str] = ["*"]
    # networks that may be called although not public (loopback, private, link-local...), e.g. ["10.8.0.0/16"]
    allowed_networks: list[str] = []

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        return [host.lower().rstrip(".") for host in value]

    @field_validator("allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ipaddress.ip_network(network, strict=False)  # a typo is refused at start, not at the first call
        return value
