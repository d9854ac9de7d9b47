"""The operator's charging network: organisations, teams, sites, stations, EVSEs, connectors."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from .evse_id import normalise_evse_id


class CurrentType(StrEnum):
    AC = "AC"
    DC = "DC"


class ConnectorStandard(StrEnum):
    TYPE_2 = "Type 2"
    TYPE_1 = "Type 1"
    CCS = "CCS"
    CHADEMO = "CHAdeMO"
    DOMESTIC = "Domestic"
    TESLA = "Tesla"


class OcppVersion(StrEnum):
    V16 = "1.6"
    V201 = "2.0.1"


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    country: str
    currency: str
    public: bool = True
    vat_number: str | None = None
    ou_code: str | None = None


@dataclass(frozen=True)
class Team:
    id: str
    organisation_id: str
    name: str
    kwh_price_cap: Decimal | None = None  # split billing: the team pays up to this price per kWh


@dataclass(frozen=True)
class Site:
    id: str
    organisation_id: str
    name: str
    address: str
    zip_code: str
    city: str
    country: str
    time_zone: str
    state: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    ou_code: str | None = None


@dataclass(frozen=True)
class Connector:
    connector_id: int
    standard: ConnectorStandard
    current_type: CurrentType
    rated_kw: Decimal
    phases: int = 3


@dataclass(frozen=True)
class Evse:
    evse_id: str
    ocpp_evse_id: int  # the charger's own 1-based EVSE / connector number
    connectors: tuple[Connector, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "evse_id", normalise_evse_id(self.evse_id))


@dataclass(frozen=True)
class Station:
    id: str  # the OCPP charge point identity, e.g. the websocket path segment
    organisation_id: str
    site_id: str
    name: str
    serial_number: str | None = None
    sticker_id: str | None = None
    vendor: str | None = None
    model: str | None = None
    firmware: str | None = None
    note: str | None = None
    status: str = "Unknown"
    free_usage: bool = False
    ocpp_version: OcppVersion = OcppVersion.V16
    evses: tuple[Evse, ...] = field(default_factory=tuple)
