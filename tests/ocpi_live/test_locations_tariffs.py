"""locations and tariffs as a Sender: pulls with paging and dates, and pushes on change, to a real eMSP peer."""

from __future__ import annotations

import httpx
from ocpp.v16 import call

from chargeledger.ocpi import queue
from chargeledger.ocpi.objects.locations import Location
from chargeledger.ocpi.objects.tariffs import Tariff
from chargeledger.tariffs import store as tariffs
from tests.http.live import serving
from tests.ocpi_live.network import EVSE_1, published_network, registered_peer
from tests.ocpi_live.peer import running_peer
from tests.ocpp.helpers import charger, gateway_on, iso
from tests.settlement.helpers import tariff_text
from tests.builders import add_user_key, at


def test_locations_are_pulled_page_by_page_and_by_date(engine):
    published_network(engine)
    with serving(engine) as (base, _app), running_peer() as peer:
        registered_peer(engine, base, peer)
        first = peer.get("locations", limit=1)
        assert first.status_code == 200, first.text
        assert first.headers["x-total-count"] == "2" and first.headers["x-limit"] == "1"
        page = first.json()["data"]
        assert [loc["id"] for loc in page] == ["ACME-DC"]
        following = first.headers["link"].split(";")[0].strip("<>")
        with httpx.Client(timeout=30) as http:
            second = http.get(following, headers=peer.headers())
        assert [loc["id"] for loc in second.json()["data"]] == ["ACME-SITE"] and "link" not in second.headers
        for location in page + second.json()["data"]:
            Location.model_validate(location)  # what we serve is a valid 2.2.1 Location
        dc = page[0]
        assert dc["country_code"] == "NL" and dc["party_id"] == "ACM" and dc["country"] == "NLD"
        assert dc["coordinates"] == {"latitude": "52.370216", "longitude": "4.895168"}
        assert dc["evses"][0]["status"] == "UNKNOWN"
        assert dc["evses"][0]["connectors"][0] | {"last_updated": None} == {
            "id": "1", "standard": "IEC_62196_T2_COMBO", "format": "CABLE", "power_type": "DC", "max_voltage": 400,
            "max_amperage": 375, "max_electric_power": 150000, "last_updated": None}
        later = peer.get("locations", date_from="2999-01-01T00:00:00Z")
        assert later.json()["data"] == [] and later.headers["x-total-count"] == "0"
        assert peer.get("locations", date_to=dc["last_updated"]).json()["data"] == []  # date_to is exclusive
        one = peer.get("locations", "/ACME-DC/NL*ACM*ECP2*1/1").json()
        assert one["status_code"] == 1000 and one["data"]["standard"] == "IEC_62196_T2_COMBO"
        missing = peer.get("locations", "/NOPE")
        assert missing.status_code == 404 and missing.json()["status_code"] == 2003
        assert peer.get("locations", "/ACME-DC/NL*ACM*ECP2*1/9").status_code == 404
        for bad in ({"limit": "many"}, {"offset": "-1"}, {"date_from": "yesterday"}):
            refused = peer.get("locations", **bad)
            assert refused.status_code == 400 and refused.json()["status_code"] == 2001, (bad, refused.text)
        with httpx.Client(timeout=30) as http:
            wrong_method = http.delete(peer.their_endpoints["locations:SENDER"], headers=peer.headers())
            nowhere = http.get(f"{base}/ocpi/cpo/2.2.1/nowhere", headers=peer.headers())
        assert wrong_method.status_code == 405 and wrong_method.json()["status_code"] == 2000
        assert nowhere.status_code == 404 and nowhere.json()["status_code"] == 2000


async def test_a_chargers_status_is_pushed_as_an_evse_patch(engine):
    published_network(engine)
    with serving(engine) as (base, _app), running_peer() as peer:
        registered_peer(engine, base, peer)
        async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Charging",
                                                  timestamp=iso(at(1))))
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Charging",
                                                  timestamp=iso(at(2))))  # the same status: nothing new to send
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Faulted",
                                                  timestamp=iso(at(3))))
        assert queue.deliver(engine) == 2
        pushed = peer.pushes("locations")
        assert [(p.method, p.path, p.body) for p in pushed] == [
            ("PATCH", f"/emsp/locations/NL/ACM/ACME-SITE/{EVSE_1}", {"status": "CHARGING",
                                                                     "last_updated": iso(at(1))}),
            ("PATCH", f"/emsp/locations/NL/ACM/ACME-SITE/{EVSE_1}", {"status": "OUTOFORDER",
                                                                     "last_updated": iso(at(3))})]
        assert pushed[0].headers["ocpi-from-party-id"] == "ACM" and pushed[0].headers["x-request-id"]
        pulled = peer.get("locations", "/ACME-SITE").json()["data"]
        assert pulled["evses"][0]["status"] == "OUTOFORDER" and pulled["last_updated"] == iso(at(3))


def test_a_stored_tariff_is_pushed_and_pullable_with_exact_numbers(engine):
    published_network(engine)
    with serving(engine) as (base, _app), running_peer() as peer:
        registered_peer(engine, base, peer)
        tariffs.save_tariff(engine, "ACME", tariff_text())
        assert queue.deliver(engine) == 1
        (pushed,) = peer.pushes("tariffs")
        assert pushed.method == "PUT" and pushed.path == "/emsp/tariffs/NL/ACM/TOU-1"
        Tariff.model_validate(pushed.body)
        pulled = peer.get("tariffs")
        assert pulled.headers["x-total-count"] == "1"
        (tariff,) = pulled.json()["data"]
        assert tariff == pushed.body and tariff["party_id"] == "ACM"
        # numbers leave as JSON numbers with the tariff's own digits (no float rounding, no quoted strings)
        assert '"price": 0.20' in pulled.text and '"price": 2.00' in pulled.text and '"vat": 21.0' in pulled.text
        assert tariff["elements"][0]["price_components"][0]["price"] == 0.2


def test_a_withdrawn_tariff_is_deleted_at_the_partner_and_no_longer_pulled(engine):
    published_network(engine)
    operator = {"Authorization": "Bearer " + add_user_key(engine, "net@acme.example", ["ACME"], ["stations"])}
    with serving(engine) as (base, _app), running_peer() as peer, httpx.Client(base_url=base, timeout=30) as http:
        registered_peer(engine, base, peer)
        tariffs.save_tariff(engine, "ACME", tariff_text())
        tariffs.save_tariff(engine, "ACME", tariff_text().replace("TOU-1", "TOU-2"))
        tariffs.assign(engine, "TOU-1", "site", "ACME-SITE")
        assert queue.deliver(engine) == 2 and set(peer.objects) == {"tariffs/NL/ACM/TOU-1", "tariffs/NL/ACM/TOU-2"}
        # the operator withdraws TOU-1 (the API's DELETE): the partner is told to delete it, and pulls no longer list it
        assert http.delete("/api/tariffs/TOU-1", headers=operator).json()["assignments_removed"] == 1
        assert http.delete("/api/tariffs/TOU-1", headers=operator).status_code == 200  # again: nothing more to send
        assert queue.deliver(engine) == 1
        deleted = peer.pushes("tariffs")[-1]
        assert (deleted.method, deleted.path, deleted.body) == ("DELETE", "/emsp/tariffs/NL/ACM/TOU-1", None)
        assert set(peer.objects) == {"tariffs/NL/ACM/TOU-2"}
        pulled = peer.get("tariffs")
        assert [t["id"] for t in pulled.json()["data"]] == ["TOU-2"] and pulled.headers["x-total-count"] == "1"
        assert http.get("/api/tariffs/TOU-1", headers=operator).json()["withdrawn_at"] is not None
        # a new version publishes it again
        tariffs.save_tariff(engine, "ACME", tariff_text())
        assert queue.deliver(engine) == 1 and peer.pushes("tariffs")[-1].method == "PUT"
        assert [t["id"] for t in peer.get("tariffs").json()["data"]] == ["TOU-1", "TOU-2"]
