"""OCPI 2.2.1 locations module objects (Location, EVSE, Connector), field by field from the spec's tables."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

from pydantic import Field

from ..models import BusinessDetails, Image, OcpiModel, ci_string, string
from .common import DisplayText


class Status(str, Enum):
    AVAILABLE = "AVAILABLE"
    BLOCKED = "BLOCKED"
    CHARGING = "CHARGING"
    INOPERATIVE = "INOPERATIVE"
    OUTOFORDER = "OUTOFORDER"
    PLANNED = "PLANNED"
    REMOVED = "REMOVED"
    RESERVED = "RESERVED"
    UNKNOWN = "UNKNOWN"


class ConnectorType(str, Enum):
    CHADEMO = "CHADEMO"
    DOMESTIC_F = "DOMESTIC_F"
    IEC_62196_T1 = "IEC_62196_T1"
    IEC_62196_T1_COMBO = "IEC_62196_T1_COMBO"
    IEC_62196_T2 = "IEC_62196_T2"
    IEC_62196_T2_COMBO = "IEC_62196_T2_COMBO"
    TESLA_S = "TESLA_S"


class ConnectorFormat(str, Enum):
    SOCKET = "SOCKET"
    CABLE = "CABLE"


class PowerType(str, Enum):
    AC_1_PHASE = "AC_1_PHASE"
    AC_2_PHASE = "AC_2_PHASE"
    AC_2_PHASE_SPLIT = "AC_2_PHASE_SPLIT"
    AC_3_PHASE = "AC_3_PHASE"
    DC = "DC"


class Capability(str, Enum):
    CHARGING_PROFILE_CAPABLE = "CHARGING_PROFILE_CAPABLE"
    REMOTE_START_STOP_CAPABLE = "REMOTE_START_STOP_CAPABLE"
    RESERVABLE = "RESERVABLE"
    RFID_READER = "RFID_READER"
    UNLOCK_CAPABLE = "UNLOCK_CAPABLE"


class GeoLocation(OcpiModel):
    latitude: Annotated[str, Field(max_length=10, pattern=r"^-?[0-9]{1,2}\.[0-9]{5,7}$")]
    longitude: Annotated[str, Field(max_length=11, pattern=r"^-?[0-9]{1,3}\.[0-9]{5,7}$")]


class Connector(OcpiModel):
    id: ci_string(36)
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: int
    max_amperage: int
    max_electric_power: int | None = None
    tariff_ids: list[ci_string(36)] | None = None
    terms_and_conditions: string(255) | None = None
    last_updated: datetime


class EVSE(OcpiModel):
    uid: ci_string(36)
    evse_id: ci_string(48) | None = None
    status: Status
    capabilities: list[Capability] | None = None
    connectors: list[Connector] = Field(min_length=1)
    floor_level: string(4) | None = None
    coordinates: GeoLocation | None = None
    physical_reference: string(16) | None = None
    directions: list[DisplayText] | None = None
    images: list[Image] | None = None
    last_updated: datetime


class Location(OcpiModel):
    country_code: ci_string(2)
    party_id: ci_string(3)
    id: ci_string(36)
    publish: bool
    name: string(255) | None = None
    address: string(45)
    city: string(45)
    postal_code: string(10) | None = None
    state: string(20) | None = None
    country: string(3)
    coordinates: GeoLocation
    evses: list[EVSE] | None = None
    operator: BusinessDetails | None = None
    time_zone: string(255)
    last_updated: datetime
