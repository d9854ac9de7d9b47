"""OCPI 2.2.1 objects of the transport and configuration modules (versions, credentials), from the spec's tables.

Each field keeps the spec's name, type length (CiString(n)/string(n)) and cardinality: `1` is required, `?` is
optional (None), `*`/`+` are lists. Unknown fields are ignored on the way in (a newer partner may add some) and
never written on the way out.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


def ci_string(length: int):
    """CiString(n): printable ASCII, case insensitive, at most n characters."""
    return Annotated[str, StringConstraints(max_length=length, pattern=r"^[\x20-\x7e]*$")]


def string(length: int):
    """string(n): printable UTF-8 (no control characters), at most n characters."""
    return Annotated[str, StringConstraints(max_length=length, pattern=r"^[^\x00-\x1f\x7f]*$")]


Url = string(255)


class OcpiModel(BaseModel):
    model_config = ConfigDict(extra="ignore", use_enum_values=True)


class Role(str, Enum):
    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"
    NAP = "NAP"
    NSP = "NSP"
    OTHER = "OTHER"
    SCSP = "SCSP"


class ImageCategory(str, Enum):
    CHARGER = "CHARGER"
    ENTRANCE = "ENTRANCE"
    LOCATION = "LOCATION"
    NETWORK = "NETWORK"
    OPERATOR = "OPERATOR"
    OTHER = "OTHER"
    OWNER = "OWNER"


class Image(OcpiModel):
    url: Url
    thumbnail: Url | None = None
    category: ImageCategory
    type: ci_string(4)
    width: int | None = Field(None, ge=0, le=99999)
    height: int | None = Field(None, ge=0, le=99999)


class BusinessDetails(OcpiModel):
    name: string(100)
    website: Url | None = None
    logo: Image | None = None


class CredentialsRole(OcpiModel):
    role: Role
    business_details: BusinessDetails
    party_id: ci_string(3)
    country_code: ci_string(2)


class Credentials(OcpiModel):
    token: ci_string(64)
    url: Url
    roles: list[CredentialsRole] = Field(min_length=1)


class VersionNumber(str, Enum):
    V2_0 = "2.0"
    V2_1 = "2.1"
    V2_1_1 = "2.1.1"
    V2_2 = "2.2"
    V2_2_1 = "2.2.1"


class Version(OcpiModel):
    version: str  # VersionNumber, kept as text: a partner may list versions newer than this enum
    url: Url


class InterfaceRole(str, Enum):
    SENDER = "SENDER"
    RECEIVER = "RECEIVER"


class Endpoint(OcpiModel):
    identifier: str  # ModuleID; custom modules are allowed by the spec, so not an enum
    role: InterfaceRole
    url: Url


class VersionDetails(OcpiModel):
    version: str
    endpoints: list[Endpoint] = Field(min_length=1)


# -- hubclientinfo (a hub tells us who is behind it) ----------------------------------------------------------------
class ConnectionStatus(str, Enum):
    CONNECTED = "CONNECTED"
    OFFLINE = "OFFLINE"
    PLANNED = "PLANNED"
    SUSPENDED = "SUSPENDED"


class ClientInfo(OcpiModel):
    party_id: ci_string(3)
    country_code: ci_string(2)
    role: Role
    status: ConnectionStatus
    last_updated: datetime
