"""Small builders for tests: a network with one organisation, site and station, and sessions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from chargeledger.access import accounts
from chargeledger.directory import registry
from chargeledger.domain.network import (
    Connector, ConnectorStandard, CurrentType, Evse, OcppVersion, Organisation, Site, Station,
)

T0 = datetime(2024, 3, 5, 8, 0, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def add_network(engine, org_id: str = "ACME", station_id: str = "CP-1", time_zone: str = "Europe/Amsterdam",
                country: str = "NL", currency: str = "EUR", ocpp: str = "1.6", password: str | None = None,
                evse_ids: tuple[str, ...] | None = None) -> None:
    registry.add_organisation(engine, Organisation(org_id, f"{org_id} Charging", country, currency))
    registry.add_site(engine, Site(f"{org_id}-SITE", org_id, f"{org_id} depot", "Main street 1", "1011AB",
                                   "Amsterdam", country, time_zone))
    evse_ids = evse_ids or (f"{country}*{org_id[:3].upper()}*E{station_id.replace('-', '')}*1",)
    plug = Connector(1, ConnectorStandard.TYPE_2, CurrentType.AC, Decimal("22"), 3)
    registry.add_station(engine, Station(
        station_id, org_id, f"{org_id}-SITE", f"{station_id} name", serial_number=f"SN-{station_id}",
        sticker_id=f"ST-{station_id}", vendor="Alfen", model="Eve", ocpp_version=OcppVersion(ocpp),
        evses=tuple(Evse(e, n, (plug,)) for n, e in enumerate(evse_ids, start=1))), password=password,
        unsecured=password is None)  # the tests' chargers connect without credentials unless given a password


def add_user_key(engine, email: str, orgs: list[str], rights: list[str]) -> str:
    accounts.add_user(engine, email, orgs, rights, password="correct horse battery")
    return accounts.create_key(engine, email)
