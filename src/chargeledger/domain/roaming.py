"""Roaming networks and partners (eMSPs and hubs) a session can come from."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Network(StrEnum):
    OCPI = "OCPI"
    HUBJECT = "Hubject"
    GIREVE = "Girève"


class PartnerRole(StrEnum):
    CPO = "CPO"
    EMSP = "eMSP"


@dataclass(frozen=True)
class RoamingPartner:
    id: str
    name: str
    network: Network
    country_code: str
    party_id: str
    role: PartnerRole = PartnerRole.EMSP

    @property
    def provider_id(self) -> str:
        """The eMSP identifier as roaming CDRs write it, e.g. NL-ABC."""
        return f"{self.country_code}-{self.party_id}"
