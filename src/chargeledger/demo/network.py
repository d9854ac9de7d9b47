"""The demo operator's network: two organisations, sites in four time zones, AC and DC stations, drivers, partners.

Everything is made up (names, addresses, tokens); it is shaped like a real operator's data so every page and
report has something to show.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Engine

from ..access import accounts
from ..access.rights import Right
from ..directory import registry
from ..domain.network import (
    Connector, ConnectorStandard, CurrentType, Evse, OcppVersion, Organisation, Site, Station, Team,
)
from ..domain.people import Driver, IdToken, TokenStatus, Vehicle
from ..domain.roaming import Network, RoamingPartner

PUBLIC_ORG, PRIVATE_ORG = "VOLTNL", "CAMPUSUS"

ORGANISATIONS = (
    Organisation(PUBLIC_ORG, "Voltpad Laden B.V.", "NL", "EUR", True, "NL859123456B01", "VPL"),
    Organisation(PRIVATE_ORG, "Campus Charge Inc.", "US", "USD", False, None, "CCI"),
)

SITES = (
    Site("VOLTNL-AMS", PUBLIC_ORG, "Amsterdam Zuidas garage", "Gustav Mahlerlaan 10", "1082 PP", "Amsterdam", "NL",
         "Europe/Amsterdam", None, Decimal("52.338"), Decimal("4.873")),
    Site("VOLTNL-UTR", PUBLIC_ORG, "Utrecht Papendorp hub", "Papendorpseweg 100", "3528 BJ", "Utrecht", "NL",
         "Europe/Amsterdam", None, Decimal("52.072"), Decimal("5.084")),
    Site("VOLTNL-LIS", PUBLIC_ORG, "Lisboa Parque das Nações", "Avenida Dom João II 40", "1990-094", "Lisboa", "PT",
         "Europe/Lisbon", None, Decimal("38.768"), Decimal("-9.094")),
    Site("CAMPUSUS-SJC", PRIVATE_ORG, "San José campus", "200 Park Avenue", "95113", "San Jose", "US",
         "America/Los_Angeles", "California", Decimal("37.333"), Decimal("-121.889")),
    Site("CAMPUSUS-BOS", PRIVATE_ORG, "Boston office", "1 Summer Street", "02110", "Boston", "US",
         "America/New_York", "Massachusetts", Decimal("42.355"), Decimal("-71.060")),
)


@dataclass(frozen=True)
class StationPlan:
    station_id: str
    site_id: str
    kind: str        # ac22, ac7, dc50, dc150
    evses: int = 1
    billing: bool = False


STATIONS = (
    StationPlan("VPL-AMS-01", "VOLTNL-AMS", "ac22", 2, True), StationPlan("VPL-AMS-02", "VOLTNL-AMS", "ac22", 2),
    StationPlan("VPL-AMS-03", "VOLTNL-AMS", "dc150", 1, True), StationPlan("VPL-UTR-01", "VOLTNL-UTR", "ac22", 2),
    StationPlan("VPL-UTR-02", "VOLTNL-UTR", "dc50", 2, True), StationPlan("VPL-UTR-03", "VOLTNL-UTR", "dc150"),
    StationPlan("VPL-LIS-01", "VOLTNL-LIS", "ac22", 2), StationPlan("VPL-LIS-02", "VOLTNL-LIS", "dc50"),
    StationPlan("CCI-SJC-01", "CAMPUSUS-SJC", "ac7", 2, True), StationPlan("CCI-SJC-02", "CAMPUSUS-SJC", "ac7", 2),
    StationPlan("CCI-SJC-03", "CAMPUSUS-SJC", "dc50"), StationPlan("CCI-BOS-01", "CAMPUSUS-BOS", "ac7", 2, True),
    StationPlan("CCI-BOS-02", "CAMPUSUS-BOS", "dc150"),
)

_HARDWARE = {  # connector, rated kW, vendor, model
    "ac22": (ConnectorStandard.TYPE_2, CurrentType.AC, Decimal("22"), "Alfen", "Eve Double Pro-line"),
    "ac7": (ConnectorStandard.TYPE_1, CurrentType.AC, Decimal("7.2"), "ChargePoint", "CT4000"),
    "dc50": (ConnectorStandard.CCS, CurrentType.DC, Decimal("50"), "ABB", "Terra 54"),
    "dc150": (ConnectorStandard.CCS, CurrentType.DC, Decimal("150"), "Kempower", "S-Series"),
}

PARTNERS = (
    RoamingPartner("PARTNER-SHELL", "Shell Recharge", Network.OCPI, "NL", "SHL"),
    RoamingPartner("PARTNER-ELAAD", "ElaadNL roaming", Network.OCPI, "NL", "ELA"),
    RoamingPartner("PARTNER-EON", "E.ON Drive", Network.HUBJECT, "DE", "EON"),
    RoamingPartner("PARTNER-PLUGSURF", "Plugsurfing", Network.HUBJECT, "DE", "PLS"),
    RoamingPartner("PARTNER-FRECAR", "Freshmile", Network.GIREVE, "FR", "FRM"),
    RoamingPartner("PARTNER-CHARGEMAP", "Chargemap", Network.GIREVE, "FR", "CMP"),
)

# Demo sign-ins, printed by `chargeledger demo load` and listed in the README of the demo.
USERS = (
    ("admin@demo.chargeledger.org", [PUBLIC_ORG, PRIVATE_ORG], [Right.ADMIN], "demo-admin", "Europe/Amsterdam"),
    ("support@demo.chargeledger.org", [PUBLIC_ORG, PRIVATE_ORG], [Right.SUPPORT], "demo-support", "Europe/Amsterdam"),
    ("finance@demo.chargeledger.org", [PUBLIC_ORG], [Right.FINANCE, Right.REPORTS], "demo-finance",
     "Europe/Amsterdam"),
    ("network@demo.chargeledger.org", [PRIVATE_ORG], [Right.REPORTS, Right.STATIONS], "demo-network",
     "America/Los_Angeles"),
)

_FIRST = ("Anna", "Bram", "Chloé", "Daan", "Eva", "Finn", "Greta", "Hugo", "Iris", "Jasper", "Kim", "Lars", "Maya",
          "Noah", "Olivia", "Pieter", "Quinn", "Rosa", "Sam", "Tess", "Umar", "Vera", "Wes", "Xiu", "Yara", "Zoë")
_LAST = ("de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Silva", "Santos", "Nguyen", "Garcia", "Miller",
         "Chen", "Patel", "Johnson", "Okafor", "Kowalski")
_CARS = (("Tesla", "Model 3", "60.0"), ("Volkswagen", "ID.3", "58.0"), ("Kia", "EV6", "77.4"),
         ("Nissan", "Leaf", "40.0"), ("Hyundai", "Ioniq 5", "72.6"), ("Polestar", "2", "78.0"),
         ("Chevrolet", "Bolt", "65.0"), ("BMW", "i4", "80.7"))


@dataclass
class DemoNetwork:
    """What the session generator needs to know of the network it generates for."""

    stations: list[tuple[StationPlan, str, list[str]]] = field(default_factory=list)  # plan, org, EVSE-IDs
    drivers: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # org -> [(driver id, token uid)]
    partners: tuple[RoamingPartner, ...] = PARTNERS
    passwords: dict[str, str] = field(default_factory=dict)


def plan(seed: int = 7) -> DemoNetwork:
    """The network as data, without touching a database (the generator and the benchmark use it)."""
    rng = random.Random(seed)
    network = DemoNetwork()
    site_org = {s.id: s.organisation_id for s in SITES}
    for item in STATIONS:
        org = site_org[item.site_id]
        country, operator = ("NL", "VPL") if org == PUBLIC_ORG else ("US", "CCI")
        number = item.station_id.replace("-", "")[3:]
        evse_ids = [f"{country}*{operator}*E{number}*{n}" for n in range(1, item.evses + 1)]
        network.stations.append((item, org, evse_ids))
    for org, count in ((PUBLIC_ORG, 28), (PRIVATE_ORG, 16)):
        network.drivers[org] = [(f"{org}-D{n:03d}", f"{rng.getrandbits(56):014X}") for n in range(1, count + 1)]
    network.passwords = {email: password for email, _, _, password, _ in USERS}
    return network


def build_network(engine: Engine, seed: int = 7) -> DemoNetwork:
    """Register the demo network through the same registry the CLI uses."""
    rng = random.Random(seed)
    network = plan(seed)
    for org in ORGANISATIONS:
        registry.add_organisation(engine, org)
    teams = (Team("VOLTNL-FLEET", PUBLIC_ORG, "Fleet drivers", Decimal("0.35")),
             Team("CAMPUSUS-STAFF", PRIVATE_ORG, "Campus staff", None))
    for team in teams:
        registry.add_team(engine, team)
    for site in SITES:
        registry.add_site(engine, site)
    for item, org, evse_ids in network.stations:
        standard, current, kw, vendor, model = _HARDWARE[item.kind]
        plug = Connector(1, standard, current, kw, 3 if current == CurrentType.AC else 0)
        evses = tuple(Evse(e, n, (plug,)) for n, e in enumerate(evse_ids, start=1))
        registry.add_station(engine, Station(
            item.station_id, org, item.site_id, f"{item.station_id} {vendor}", f"SN{rng.randint(10**7, 10**8 - 1)}",
            item.station_id.split("-", 1)[1], vendor, model, "1.9.2" if current == CurrentType.AC else "4.1.0",
            ocpp_version=OcppVersion.V201 if item.kind == "dc150" else OcppVersion.V16, evses=evses),
            billing_profile=_billing_profile(org, item) if item.billing else None,
            unsecured=True)  # demo chargers (serve --simulate) connect without credentials; their pages warn
    for org, people in network.drivers.items():
        for index, (driver_id, uid) in enumerate(people):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            email = f"{first.lower()}.{last.lower().replace(' ', '')}{index}@example.com".replace("é", "e")
            phone = f"+31 6 {rng.randint(10**7, 10**8 - 1)}" if org == PUBLIC_ORG else \
                f"+1 408 555 {rng.randint(1000, 9999)}"
            status = TokenStatus.BLOCKED if index % 11 == 5 else TokenStatus.EXPIRED if index % 13 == 7 \
                else TokenStatus.ACCEPTED
            prefix = "NL-VPL" if org == PUBLIC_ORG else "US-CCI"
            token = IdToken(uid, driver_id, f"{prefix}-C{index:08d}-{rng.randint(0, 9)}", status)
            make, model, battery = _CARS[index % len(_CARS)]
            vehicle = Vehicle(f"{driver_id}-V1", driver_id, make, model, battery) if index % 3 else None
            team = teams[0 if org == PUBLIC_ORG else 1].id if index % 4 == 0 else None
            registry.add_driver(engine, Driver(driver_id, org, f"{first} {last}", email, phone, team),
                                [token], vehicle)
    for partner in PARTNERS:
        registry.add_roaming_partner(engine, partner)
    for email, orgs, rights, password, zone in USERS:
        accounts.add_user(engine, email, orgs, [r.value for r in rights], password, zone)
    return network


def _billing_profile(org: str, item: StationPlan) -> dict:
    # Start, energy, time and idle prices are in the OCPI tariffs (tariffs.py); the profile adds only what
    # OCPI cannot say: membership, taxes per jurisdiction, cost, gateway and platform fees.
    if org == PUBLIC_ORG:
        return {"membership": {"plan": "VOLT+", "name": "Voltpad Plus", "percent": "10"},
                "cost": {"kind": "time_of_use", "default_per_kwh": "0.21",
                         "windows": [{"from": "07:00", "to": "23:00", "per_kwh": "0.27"}]},
                "gateway_fee": {"percent": "1.9", "fixed": "0.25"}, "platform_fee_per_kwh": "0.01",
                "waive_cancelled": True}
    california = "SJC" in item.site_id
    taxes = ([{"jurisdiction": "State", "name": "California", "rate": "6.00"},
              {"jurisdiction": "County", "name": "Santa Clara County", "rate": "2.25"},
              {"jurisdiction": "City", "name": "San José", "rate": "1.00"}] if california else
             [{"jurisdiction": "State", "name": "Massachusetts", "rate": "6.25"},
              {"jurisdiction": "City", "name": "Boston", "rate": "0.75"}])
    return {"fees": {"occupancy_per_hour": "2.00", "occupancy_grace_minutes": 120},
            "taxes": taxes, "excise_per_kwh": "0.003",
            "cost": {"kind": "time_of_use", "default_per_kwh": "0.18",
                     "windows": [{"from": "16:00", "to": "21:00", "per_kwh": "0.42"}]},
            "gateway_fee": {"percent": "2.9", "fixed": "0.30"}, "platform_fee_per_kwh": "0.02",
            "waive_cancelled": True}
