"""OCPI 2.2.1 tokens module objects (Token, AuthorizationInfo), field by field from the spec's tables."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from ..models import OcpiModel, ci_string, string
from .common import DisplayText


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
