"""OCPI 2.2.1 sessions and cdrs module objects (Session, Cdr and their parts), from the spec's tables."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

from pydantic import Field, field_validator

from ..models import OcpiModel, ci_string, string
from .common import Number, Price, four_decimals
from .locations import ConnectorFormat, ConnectorType, GeoLocation, PowerType
from .tariffs import Tariff
from .tokens import ProfileType, TokenType


class AuthMethod(str, Enum):
    AUTH_REQUEST = "AUTH_REQUEST"
    COMMAND = "COMMAND"
    WHITELIST = "WHITELIST"


class SessionStatus(str, Enum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"
    PENDING = "PENDING"
    RESERVATION = "RESERVATION"


class ChargingPreferences(OcpiModel):
    profile_type: ProfileType
    departure_time: datetime | None = None
    energy_need: Number | None = None
    discharge_allowed: bool | None = None


class CdrToken(OcpiModel):
    country_code: ci_string(2)
    party_id: ci_string(3)
    uid: ci_string(36)
    type: TokenType
    contract_id: ci_string(36)


class CdrDimensionType(str, Enum):
    CURRENT = "CURRENT"
    ENERGY = "ENERGY"
    ENERGY_EXPORT = "ENERGY_EXPORT"
    ENERGY_IMPORT = "ENERGY_IMPORT"
    MAX_CURRENT = "MAX_CURRENT"
    MIN_CURRENT = "MIN_CURRENT"
    MAX_POWER = "MAX_POWER"
    MIN_POWER = "MIN_POWER"
    PARKING_TIME = "PARKING_TIME"
    POWER = "POWER"
    RESERVATION_TIME = "RESERVATION_TIME"
    STATE_OF_CHARGE = "STATE_OF_CHARGE"
    TIME = "TIME"


class CdrDimension(OcpiModel):
    type: CdrDimensionType
    volume: Number
    _four = field_validator("volume")(four_decimals)


class ChargingPeriod(OcpiModel):
    start_date_time: datetime
    dimensions: list[CdrDimension] = Field(min_length=1)
    tariff_id: ci_string(36) | None = None


class Session(OcpiModel):
    country_code: ci_string(2)
    party_id: ci_string(3)
    id: ci_string(36)
    start_date_time: datetime
    end_date_time: datetime | None = None
    kwh: Number
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: ci_string(36) | None = None
    location_id: ci_string(36)
    evse_uid: ci_string(36)
    connector_id: ci_string(36)
    meter_id: string(255) | None = None
    currency: Annotated[str, Field(min_length=3, max_length=3)]
    charging_periods: list[ChargingPeriod] | None = None
    total_cost: Price | None = None
    status: SessionStatus
    last_updated: datetime
    _four = field_validator("kwh")(four_decimals)


class CdrLocation(OcpiModel):
    id: ci_string(36)
    name: string(255) | None = None
    address: string(45)
    city: string(45)
    postal_code: string(10) | None = None
    state: string(20) | None = None
    country: string(3)
    coordinates: GeoLocation
    evse_uid: ci_string(36)
    evse_id: ci_string(48)
    connector_id: ci_string(36)
    connector_standard: ConnectorType
    connector_format: ConnectorFormat
    connector_power_type: PowerType


class Cdr(OcpiModel):
    country_code: ci_string(2)
    party_id: ci_string(3)
    id: ci_string(39)
    start_date_time: datetime
    end_date_time: datetime
    session_id: ci_string(36) | None = None
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: ci_string(36) | None = None
    cdr_location: CdrLocation
    meter_id: string(255) | None = None
    currency: Annotated[str, Field(min_length=3, max_length=3)]
    tariffs: list[Tariff] | None = None
    charging_periods: list[ChargingPeriod] = Field(min_length=1)
    total_cost: Price
    total_fixed_cost: Price | None = None
    total_energy: Number
    total_energy_cost: Price | None = None
    total_time: Number
    total_time_cost: Price | None = None
    total_parking_time: Number | None = None
    total_parking_cost: Price | None = None
    total_reservation_cost: Price | None = None
    remark: string(255) | None = None
    invoice_reference_id: ci_string(39) | None = None
    credit: bool | None = None
    credit_reference_id: ci_string(39) | None = None
    home_charging_compensation: bool | None = None
    last_updated: datetime
    _four = field_validator("total_energy", "total_time", "total_parking_time")(four_decimals)
