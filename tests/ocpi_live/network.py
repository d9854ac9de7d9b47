"""An operator with published sites (coordinates set) and a registered test eMSP."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import update

from chargeledger.directory import registry
from chargeledger.domain.network import Connector, ConnectorStandard, CurrentType, Evse, Site, Station
from chargeledger.ocpi import partners
from chargeledger.storage.tables import sites
from tests.builders import add_network
from tests.ocpi_live.peer import COUNTRY, PARTY, Peer

EVSE_1 = "NL*ACM*ECP1*1"


def published_network(engine) -> None:
    """ACME: ACME-SITE with CP-1 (one AC EVSE), ACME-DC with CP-2 (one DC EVSE); both sites with coordinates."""
    add_network(engine, "ACME", "CP-1")
    registry.add_site(engine, Site("ACME-DC", "ACME", "Fast hub", "Ring 2", "1012AB", "Amsterdam", "NL",
                                   "Europe/Amsterdam", latitude=Decimal("52.370216"), longitude=Decimal("4.895168")))
    plug = Connector(1, ConnectorStandard.CCS, CurrentType.DC, Decimal("150"), 0)
    registry.add_station(engine, Station("CP-2", "ACME", "ACME-DC", "CP-2 name",
                                         evses=(Evse("NL*ACM*ECP2*1", 1, (plug,)),)), unsecured=True)
    with engine.begin() as conn:
        conn.execute(update(sites).where(sites.c.id == "ACME-SITE").values(latitude=Decimal("52.3"),
                                                                             longitude=Decimal("4.9")))


def registered_peer(engine, base: str, peer: Peer) -> None:
    _partner, token_a = partners.invite(engine, "ACME", "Test eMSP", COUNTRY, PARTY)
    answer = peer.register(f"{base}/ocpi/versions", token_a)
    assert answer.status_code == 200, answer.text
