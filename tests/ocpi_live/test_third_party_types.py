"""Everything we serve and push, read by another implementation's 2.2.1 types: `ocpi-types` (PyPI), generated from
the OCPI specification independently of our pydantic models. Our own models check what we send against what we
read from the spec tables; this checks it against someone else's reading, so a field name, enum value, type or
required field we got wrong fails here even where our models share the mistake.

Each object must parse as the library's class (a wrong type, an unknown enum value or a missing required field
raises) and come back from it unchanged: a field the library drops is one the 2.2.1 object does not have, which a
strict partner would refuse or silently lose."""

from __future__ import annotations

from typing import Any

import httpx
from ocpi_types import v2_2_1 as v221
from ocpp.v16 import call

from chargeledger.ocpi import commands, partners, queue
from chargeledger.tariffs import store as tariffs
from tests.builders import at
from tests.http.live import serving
from tests.ocpi_live.network import EVSE_1, published_network, registered_peer
from tests.ocpi_live.peer import running_peer
from tests.ocpp.helpers import charger, gateway_on, iso, settled
from tests.settlement.helpers import tariff_text


def conforms(model: Any, sent: Any) -> None:
    parsed = model.from_dict(sent)
    assert parsed.to_dict() == _without_nulls(sent), f"{model.__name__} changed on the way through ocpi-types"


def _without_nulls(value: Any) -> Any:
    """An optional field sent as null is the same as one left out, for the library and for the spec."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _data(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


async def test_every_object_we_serve_and_push_is_a_valid_221_object_for_ocpi_types(engine):
    published_network(engine)
    tariffs.save_tariff(engine, "ACME", tariff_text())
    tariffs.assign(engine, "TOU-1", "site", "ACME-SITE")
    with serving(engine) as (base, _app), running_peer() as peer:
        registered_peer(engine, base, peer)
        with httpx.Client(timeout=30) as http:
            versions = _data(http.get(f"{base}/ocpi/versions", headers=peer.headers()))
            details = _data(http.get(versions[0]["url"], headers=peer.headers()))
            credentials = _data(http.get(peer.their_endpoints["credentials:SENDER"], headers=peer.headers()))
        for version in versions:
            conforms(v221.Version, version)
        conforms(v221.VersionDetails, details)
        conforms(v221.Credentials, credentials)

        # a roaming session: the partner's token, a charger's transaction, priced, its CDR
        assert peer.send("PUT", "tokens", "/DE/EMS/TAG-1", peer.token("TAG-1")).json()["status_code"] == 1000
        async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing",
                                                  timestamp=iso(at(0))))
            started = await cp.call(call.StartTransaction(connector_id=1, id_tag="TAG-1", meter_start=1000,
                                                          timestamp=iso(at(1))))
            await settled(gateway)
            queue.deliver(engine)  # the session's PUT on start, on its own
            assert _data(peer.get("cdrs")) == []  # under way: no CDR yet (this was a 500)
            await cp.call(call.MeterValues(connector_id=1, transaction_id=started.transaction_id, meter_value=[
                {"timestamp": iso(at(30)), "sampledValue": [
                    {"value": "6000", "unit": "Wh", "measurand": "Energy.Active.Import.Register"}]}]))
            await cp.call(call.StopTransaction(meter_stop=12500, timestamp=iso(at(61)),
                                               transaction_id=started.transaction_id, reason="EVDisconnected"))
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available",
                                                  timestamp=iso(at(70))))  # the car has left: priced now
            await settled(gateway)
        # a command: answered at once (CommandResponse; this server has no gateway in-process, so REJECTED with
        # a message), and a CommandResult as commands.run sends one, to response_url through the queue
        command = {"response_url": f"{peer.base}/emsp/commands/results/u1", "location_id": "ACME-SITE",
                   "evse_uid": EVSE_1, "connector_id": "1"}
        conforms(v221.CommandResponse, _data(peer.send("POST", "commands", "/UNLOCK_CONNECTOR", command)))
        conforms(v221.CommandResponse, _data(peer.send("POST", "commands", "/STOP_SESSION", {
            "response_url": f"{peer.base}/emsp/commands/results/s1", "session_id": "999"})))
        (partner,) = partners.listing(engine)
        commands.send_result(engine, partner, "UNLOCK_CONNECTOR", command["response_url"], "FAILED", "no answer")
        tariffs.save_tariff(engine, "ACME", tariff_text().replace("0.40", "0.45"))  # a tariff PUT too
        queue.deliver(engine)

        pulled = {module: _data(peer.get(module)) for module in ("locations", "tariffs", "sessions", "cdrs")}
        pages = [_data(peer.get("locations", limit=1, offset=n)) for n in (0, 1)]
        one_evse = _data(peer.get("locations", f"/ACME-SITE/{EVSE_1}"))
        one_connector = _data(peer.get("locations", f"/ACME-SITE/{EVSE_1}/1"))
        token = _data(peer.send("GET", "tokens", "/DE/EMS/TAG-1"))

    assert [loc["id"] for loc in pulled["locations"]] == ["ACME-DC", "ACME-SITE"]
    assert [page[0]["id"] for page in pages] == ["ACME-DC", "ACME-SITE"]
    for location in pulled["locations"]:
        conforms(v221.Location, location)
        for evse in location["evses"]:
            conforms(v221.Evse, evse)
            for connector in evse["connectors"]:
                conforms(v221.Connector, connector)
    conforms(v221.Evse, one_evse)
    conforms(v221.Connector, one_connector)
    conforms(v221.Token, token)
    assert len(pulled["tariffs"]) == len(pulled["sessions"]) == len(pulled["cdrs"]) == 1
    for tariff in pulled["tariffs"]:
        conforms(v221.Tariff, tariff)
    for session in pulled["sessions"]:
        conforms(v221.Session, session)
    for cdr in pulled["cdrs"]:
        conforms(v221.Cdr, cdr)

    # what we pushed: whole objects as they are, PATCHes as the partner's copy they build (peer.objects)
    pushed = peer.pushes()
    modules = {p.path.split("/")[2] for p in pushed}
    assert modules == {"locations", "tariffs", "sessions", "cdrs", "commands"}, modules
    for push in pushed:
        module = push.path.split("/")[2]
        if module == "tariffs" and push.method == "PUT":
            conforms(v221.Tariff, push.body)
        elif module == "sessions" and push.method == "PUT":
            conforms(v221.Session, push.body)
        elif module == "cdrs":
            conforms(v221.Cdr, push.body)
        elif module == "commands":
            conforms(v221.CommandResult, push.body)
        elif module == "locations" and push.method == "PATCH":  # an EVSE's status: the EVSE with it applied
            conforms(v221.Evse, one_evse | push.body)
    (copy,) = [body for key, body in peer.objects.items() if key.startswith("sessions/")]
    conforms(v221.Session, copy)
    assert copy == pulled["sessions"][0]
