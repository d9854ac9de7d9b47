"""OCPP 1.6J Local Auth List Management over a real websocket: the list is the organisation's token book, sent in
full or as the difference from what the station holds, versioned; GetLocalListVersion is kept."""

from __future__ import annotations

from chargeledger.directory import tokens as book
from tests.builders import add_network, add_user_key
from tests.ocpp.helpers import api, gateway_on
from tests.ocpp.lab16 import lab_charger


async def test_full_then_differential_then_full_again_after_a_mismatch(engine):
    add_network(engine)
    add_network(engine, "BOLT", "CP-9", country="DE")
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["stations"])
    book.add(engine, "ACME", book.TokenEntry("Card-A", group_id="FLEET"))
    book.add(engine, "ACME", book.TokenEntry("card-b", status="Blocked"))
    book.add(engine, "ACME", book.TokenEntry("EMAID-NL-ACM-C12345678-9-LONG"))  # too long for a 1.6 idTag
    book.add(engine, "BOLT", book.TokenEntry("BOLT-CARD"))  # another organisation's: never on ACME's stations
    async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp, \
            api(engine, gateway, key) as client:
        full = (await client.post("/api/stations/CP-1/local-list", json={"update_type": "Full"})).json()
        assert (full["version"], full["answer"]["status"], full["entries"]) == (1, "Accepted", 2)
        assert cp.local_list == {"Card-A": {"status": "Accepted", "parent_id_tag": "FLEET"},
                                 "card-b": {"status": "Blocked"}}
        book.block(engine, "ACME", "CARD-A")
        book.add(engine, "ACME", book.TokenEntry("card-c"))
        diff = (await client.post("/api/stations/CP-1/local-list", json={"update_type": "Differential"})).json()
        assert (diff["version"], diff["entries"]) == (2, 2)  # only what changed
        sent = cp.requests[-1][1]
        assert sorted(item["id_tag"] for item in sent["local_authorization_list"]) == ["Card-A", "card-c"]
        assert cp.local_version == 2 and cp.local_list["Card-A"]["status"] == "Blocked"
        cp.local_version = 7  # the station lost track of what it holds
        again = (await client.post("/api/stations/CP-1/local-list", json={})).json()
        assert (again["update_type"], again["version"], again["answer"]["status"]) == ("Full", 3, "Accepted")
        reported = await client.post("/api/stations/CP-1/commands/GetLocalListVersion", json={})
        assert reported.json()["answer"] == {"list_version": 3}
        held = (await client.get("/api/stations/CP-1/local-list")).json()
    assert (held["version"], held["reported_version"]) == (3, 3)
    assert [t["uid"] for t in held["tokens"]] == ["Card-A", "card-b", "card-c"]
    assert sorted(cp.local_list) == ["Card-A", "card-b", "card-c"]


async def test_a_list_sent_through_the_generic_route_is_what_the_station_holds(engine):
    add_network(engine)
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["stations"])
    async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp, \
            api(engine, gateway, key) as client:
        payload = {"listVersion": 5, "updateType": "Full",
                   "localAuthorizationList": [{"idTag": "X1", "idTagInfo": {"status": "Accepted"}}]}
        assert (await client.post("/api/stations/CP-1/commands/SendLocalList", json=payload)).status_code == 200
        cp.answers["SendLocalList"] = "Failed"
        failed = await client.post("/api/stations/CP-1/commands/SendLocalList",
                                   json={**payload, "listVersion": 6, "localAuthorizationList": []})
        assert failed.json()["answer"] == {"status": "Failed"}
        held = (await client.get("/api/stations/CP-1/local-list")).json()
    assert held["version"] == 5 and [t["uid"] for t in held["tokens"]] == ["X1"]  # the failed one changed nothing
