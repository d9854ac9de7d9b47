"""OCPI 2.2.1 objects of the Sender modules we serve (locations, tariffs), field by field from the spec's tables.

Cardinality `1` is a required field, `?` optional (None, left out on the wire), `*`/`+` lists. Lengths follow the
CiString(n)/string(n) of each row. Every object we serve or push goes through these models first.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

from pydantic import Field, field_validator

from .models import BusinessDetails, Image, OcpiModel, ci_string, string

Number = Annotated[Decimal, Field(max_digits=None)]


def _four_decimals(value: Decimal | None) -> Decimal | None:
    if value is not None and value.as_tuple().exponent < -4:
        raise ValueError("OCPI numbers carry at most 4 decimals")
    return value


class DisplayText(OcpiModel):
    language: string(2)
    text: string(512)


class Price(OcpiModel):
    excl_vat: Number
    incl_vat: Number | None = None
    _four = field_validator("excl_vat", "incl_vat")(_four_decimals)


# -- locations ----------------------------------------------------------------------------------------------------
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


# -- tariffs --------------------------------------------------------------------------------------------------------
class TariffDimensionType(str, Enum):
    ENERGY = "ENERGY"
    FLAT = "FLAT"
    PARKING_TIME = "PARKING_TIME"
    TIME = "TIME"


class PriceComponent(OcpiModel):
    type: TariffDimensionType
    price: Number
    vat: Number | None = None
    step_size: int
    _four = field_validator("price", "vat")(_four_decimals)


class DayOfWeek(str, Enum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class ReservationRestrictionType(str, Enum):
    RESERVATION = "RESERVATION"
    RESERVATION_EXPIRES = "RESERVATION_EXPIRES"


class TariffRestrictions(OcpiModel):
    start_time: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] | None = None
    end_time: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] | None = None
    start_date: Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")] | None = None
    end_date: Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")] | None = None
    min_kwh: Number | None = None
    max_kwh: Number | None = None
    min_current: Number | None = None
    max_current: Number | None = None
    min_power: Number | None = None
    max_power: Number | None = None
    min_duration: int | None = None
    max_duration: int | None = None
    day_of_week: list[DayOfWeek] | None = None
    reservation: ReservationRestrictionType | None = None
    _four = field_validator("min_kwh", "max_kwh", "min_current", "max_current", "min_power",
                            "max_power")(_four_decimals)


class TariffElement(OcpiModel):
    price_components: list[PriceComponent] = Field(min_length=1)
    restrictions: TariffRestrictions | None = None


class TariffType(str, Enum):
    AD_HOC_PAYMENT = "AD_HOC_PAYMENT"
    PROFILE_CHEAP = "PROFILE_CHEAP"
    PROFILE_FAST = "PROFILE_FAST"
    PROFILE_GREEN = "PROFILE_GREEN"
    REGULAR = "REGULAR"


class EnergyMix(OcpiModel):
    is_green_energy: bool


class Tariff(OcpiModel):
    country_code: ci_string(2)
    party_id: ci_string(3)
    id: ci_string(36)
    currency: Annotated[str, Field(min_length=3, max_length=3)]
    type: TariffType | None = None
    tariff_alt_text: list[DisplayText] | None = None
    tariff_alt_url: string(255) | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    elements: list[TariffElement] = Field(min_length=1)
    energy_mix: EnergyMix | None = None
    start_date_time: datetime | None = None
    end_date_time: datetime | None = None
    last_updated: datetime


# -- tokens ---------------------------------------------------------------------------------------------------------
class TokenType(str, Enum):
    AD_HOC_USER = "AD_HOC_USER"
    APP_USER = "APP_USER"
    OTHER = "OTHER"
    RFID = "RFID"


class WhitelistType(str, Enum):
    ALWAYS = "ALWAYS"
    ALLOWED = "ALLOWED"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
    NEVER = "NEVER"


class ProfileType(str, Enum):
    CHEAP = "CHEAP"
    FAST = "FAST"
    GREEN = "GREEN"
    REGULAR = "REGULAR"


class EnergyContract(OcpiModel):
    supplier_name: string(64)
    contract_id: string(64) | None = None


class Token(OcpiModel):
    country_code: ci_string(2)
    party_id: ci_string(3)
    uid: ci_string(36)
    type: TokenType
    contract_id: ci_string(36)
    visual_number: string(64) | None = None
    issuer: string(64)
    group_id: ci_string(36) | None = None
    valid: bool
    whitelist: WhitelistType
    language: string(2) | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None
    last_updated: datetime


class AllowedType(str, Enum):
    ALLOWED = "ALLOWED"
    BLOCKED = "BLOCKED"
    EXPIRED = "EXPIRED"
    NO_CREDIT = "NO_CREDIT"
    NOT_ALLOWED = "NOT_ALLOWED"


class LocationReferences(OcpiModel):
    location_id: ci_string(36)
    evse_uids: list[ci_string(36)] | None = None


class AuthorizationInfo(OcpiModel):
    allowed: AllowedType
    token: Token
    location: LocationReferences | None = None
    authorization_reference: ci_string(36) | None = None
    info: DisplayText | None = None


# -- sessions and cdrs ----------------------------------------------------------------------------------------------
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
    _four = field_validator("volume")(_four_decimals)


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
    _four = field_validator("kwh")(_four_decimals)


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
    _four = field_validator("total_energy", "total_time", "total_parking_time")(_four_decimals)


# -- commands -------------------------------------------------------------------------------------------------------
class CommandType(str, Enum):
    CANCEL_RESERVATION = "CANCEL_RESERVATION"
    RESERVE_NOW = "RESERVE_NOW"
    START_SESSION = "START_SESSION"
    STOP_SESSION = "STOP_SESSION"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"


class StartSession(OcpiModel):
    response_url: string(255)
    token: Token
    location_id: ci_string(36)
    evse_uid: ci_string(36) | None = None
    connector_id: ci_string(36) | None = None
    authorization_reference: ci_string(36) | None = None


class StopSession(OcpiModel):
    response_url: string(255)
    session_id: ci_string(36)


class ReserveNow(OcpiModel):
    response_url: string(255)
    token: Token
    expiry_date: datetime
    reservation_id: ci_string(36)
    location_id: ci_string(36)
    evse_uid: ci_string(36) | None = None
    authorization_reference: ci_string(36) | None = None


class CancelReservation(OcpiModel):
    response_url: string(255)
    reservation_id: ci_string(36)


class UnlockConnector(OcpiModel):
    response_url: string(255)
    location_id: ci_string(36)
    evse_uid: ci_string(36)
    connector_id: ci_string(36)


COMMAND_BODIES = {"START_SESSION": StartSession, "STOP_SESSION": StopSession, "RESERVE_NOW": ReserveNow,
                  "CANCEL_RESERVATION": CancelReservation, "UNLOCK_CONNECTOR": UnlockConnector}
