"""Our test peer acting as a hub (roles HUB): it tells us the parties behind it (hubclientinfo), pushes a token of
one of them, and receives that party's session with the party in its OCPI-to-* headers; broadcast pushes (an EVSE
status) are addressed to the hub itself; a party the hub reports back CONNECTED gets its waiting pushes at once."""

from __future__ import annotations

from datetime import datetime, timezone

from ocpp.v16 import call

from chargeledger.ocpi import partners, queue
from chargeledger.ocpi.overview import summaries
from tests.builders import at
from tests.http.live import serving
from tests.ocpi_live.network import published_network
from tests.ocpi_live.peer import Peer, running_peer
from tests.ocpp.helpers import charger, gateway_on, iso, settled

EMSP = ("DE", "EMA")  # an eMSP behind the hub


def _client_info(status: str, moment: str) -> dict:
    return {"country_code": EMSP[0], "party_id": EMSP[1], "role": "EMSP", "status": status, "last_updated": moment}


def _to(received) -> tuple[str, str]:
    return received.headers["ocpi-to-country-code"], received.headers["ocpi-to-party-id"]


async def test_a_hub_routes_pushes_to_the_party_behind_it_and_reports_who_is_connected(engine):
    published_network(engine)
    with serving(engine) as (base, _app), running_peer(Peer(country="DE", party="HUB", role="HUB")) as hub:
        _partner, token_a = partners.invite(engine, "ACME", "Test hub", "DE", "HUB")
        assert hub.register(f"{base}/ocpi/versions", token_a).json()["status_code"] == 1000
        assert "hubclientinfo:RECEIVER" in hub.their_endpoints
        # the hub says who is behind it: EMA, not connected for now
        put = hub.send("PUT", "hubclientinfo", "/DE/EMA", _client_info("OFFLINE", "2024-01-01T00:00:00Z"))
        assert put.json()["status_code"] == 1000, put.text
        got = hub.send("GET", "hubclientinfo", "/DE/EMA")
        assert got.json()["data"]["status"] == "OFFLINE" and hub.send("GET", "hubclientinfo", "/DE/XXX").status_code \
            == 404
        stale = _client_info("CONNECTED", "2023-01-01T00:00:00Z")  # older than what we hold: changes nothing
        assert hub.send("PUT", "hubclientinfo", "/DE/EMA", stale).json()["status_code"] == 1000
        assert hub.send("GET", "hubclientinfo", "/DE/EMA").json()["data"]["status"] == "OFFLINE"
        # EMA's token, routed by the hub: the answer goes back to EMA
        token = hub.token("HUB-TAG-1") | {"country_code": "DE", "party_id": "EMA", "contract_id": "DE-EMA-C1"}
        answer = hub.send("PUT", "tokens", "/DE/EMA/HUB-TAG-1", token, party=EMSP)
        assert answer.json()["status_code"] == 1000 and (answer.headers["ocpi-to-country-code"],
                                                          answer.headers["ocpi-to-party-id"]) == EMSP
        hub.unreachable.add("EMA")
        async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing",
                                                  timestamp=iso(at(0))))
            started = await cp.call(call.StartTransaction(connector_id=1, id_tag="HUB-TAG-1", meter_start=0,
                                                          timestamp=iso(at(1))))
            assert started.id_tag_info["status"] == "Accepted"
            await settled(gateway)
        queue.deliver(engine)
        # the EVSE status is for everyone behind the hub: addressed to the hub itself
        (evse,) = hub.pushes("locations")
        assert _to(evse) == ("DE", "HUB") and evse.headers["ocpi-from-party-id"] == "ACM"
        # EMA's session was tried once and waits: the hub answered 4003 (not connected), which is tried again later
        assert [_to(p) for p in hub.pushes("sessions")] == [EMSP]
        (waiting,) = [r for r in queue.listing(engine, state="pending") if r["module"] == "sessions"]
        assert waiting["attempts"] == 1 and waiting["next_attempt_at"] > datetime.now(timezone.utc)
        assert "4003" in summaries(engine)[0][1]["last_error"]
        # the hub reports EMA connected: its push is due at once, and goes to the hub addressed to EMA
        hub.unreachable.clear()
        assert hub.send("PUT", "hubclientinfo", "/DE/EMA", _client_info("CONNECTED", "2024-01-02T00:00:00Z")) \
            .json()["status_code"] == 1000
        (due,) = [r for r in queue.listing(engine, state="pending") if r["module"] == "sessions"]
        assert due["next_attempt_at"] <= datetime.now(timezone.utc)
        queue.deliver(engine)
        _refused, session = hub.pushes("sessions")
        assert session.method == "PUT" and _to(session) == EMSP and session.body["cdr_token"]["party_id"] == "EMA"
        # pulls through the hub: each party behind it sees only its own drivers' sessions
        assert [x["id"] for x in hub.get_as("sessions", EMSP).json()["data"]] == [session.body["id"]]
        assert hub.get_as("sessions", ("DE", "EMB")).json()["data"] == []
        assert len(hub.get_as("sessions", ("DE", "HUB")).json()["data"]) == 1  # the hub itself: all of them
        # charging preferences: validated, then refused as the sessions module says (the EVSE is not capable)
        url = f"/{session.body['id']}/charging_preferences"
        prefs = hub.put_as("sessions", url, {"profile_type": "GREEN"}, EMSP)
        assert prefs.status_code == 404 and prefs.json()["status_code"] == 2001 and prefs.json()["data"] == \
            "NOT_POSSIBLE"
        assert hub.put_as("sessions", url, {"profile_type": "SOMETIMES"}, EMSP).json()["status_code"] == 2001
        other = hub.put_as("sessions", url, {"profile_type": "GREEN"}, ("DE", "EMB"))
        assert other.status_code == 404 and other.json()["status_code"] == 2003
        # what the operator sees: the hub, and EMA behind it, connected
        (_hub, shown), = summaries(engine)
        assert shown["hub"] is True and shown["parties"] == [
            {"party_id": "EMA", "country_code": "DE", "role": "EMSP", "status": "CONNECTED",
             "last_updated": "2024-01-02T00:00:00Z"}]


def test_only_a_hub_reports_client_info(engine):
    published_network(engine)
    with serving(engine) as (base, _app), running_peer() as emsp:
        _partner, token_a = partners.invite(engine, "ACME", "Test eMSP", "DE", "EMS")
        emsp.register(f"{base}/ocpi/versions", token_a)
        refused = emsp.send("PUT", "hubclientinfo", "/DE/EMA", _client_info("CONNECTED", "2024-01-01T00:00:00Z"))
        assert refused.status_code == 403 and refused.json()["status_code"] == 2000
        # and a direct eMSP may not speak for another party
        other = emsp.send("GET", "tokens", "/DE/EMS/NOPE", party=EMSP)
        assert other.status_code == 400 and other.json()["status_code"] == 2001
