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


async def test_a_list_longer_than_one_message_goes_in_parts_and_one_too_large_is_refused(engine):
    """The station takes 2 entries per SendLocalList and holds 5 (it says so when asked): a full list of 5 goes as
    Full v1 + Differential v2 + Differential v3; a sixth token does not fit and is refused, flagged, not sent."""
    add_network(engine)
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["stations"])
    for uid in ("T-1", "T-2", "T-3", "T-4", "T-5"):
        book.add(engine, "ACME", book.TokenEntry(uid))
    book.add(engine, "ACME", book.TokenEntry("EMAID-NL-ACM-C12345678-9-LONG"))  # not listable in 1.6: not counted
    async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp, \
            api(engine, gateway, key) as client:
        cp.config.update({"SendLocalListMaxLength": ("2", True), "LocalAuthListMaxLength": ("5", True)})
        full = (await client.post("/api/stations/CP-1/local-list", json={"update_type": "Full"})).json()
        assert (full["version"], full["entries"], full["messages"], full["answer"]["status"]) == (3, 5, 3, "Accepted")
        asked = [(action, kw.get("update_type"), kw.get("list_version"), len(kw.get("local_authorization_list") or []))
                 for action, kw in cp.requests]
        assert asked == [("GetConfiguration", None, None, 0), ("SendLocalList", "Full", 1, 2),
                         ("SendLocalList", "Differential", 2, 2), ("SendLocalList", "Differential", 3, 1)]
        assert sorted(cp.local_list) == ["T-1", "T-2", "T-3", "T-4", "T-5"] and cp.local_version == 3
        book.block(engine, "ACME", "t-2")  # one change: one message, known limits are not asked again
        diff = (await client.post("/api/stations/CP-1/local-list", json={})).json()
        assert (diff["update_type"], diff["version"], diff["messages"]) == ("Differential", 4, 1)
        assert [a for a, _ in cp.requests].count("GetConfiguration") == 1
        book.add(engine, "ACME", book.TokenEntry("T-6"))
        refused = await client.post("/api/stations/CP-1/local-list", json={"update_type": "Full"})
        assert refused.status_code == 409 and "at most 5" in refused.json()["detail"]
        assert len(cp.requests) == 5  # nothing sent
        held = (await client.get("/api/stations/CP-1/local-list")).json()
        assert held["version"] == 4 and held["too_large"]["tokens"] == 6 and held["too_large"]["capacity"] == 5
        book.remove(engine, "ACME", "T-6")
        again = (await client.post("/api/stations/CP-1/local-list", json={})).json()
        assert (again["version"], again["answer"]["status"]) == (5, "Accepted")
        assert "too_large" not in (await client.get("/api/stations/CP-1/local-list")).json()  # the flag is cleared
