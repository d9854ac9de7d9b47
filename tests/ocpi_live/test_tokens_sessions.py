"""tokens as a Receiver deciding a real charger's Authorize/StartTransaction; sessions and CDRs pushed to the
partner whose token started them, with the settlement's exact totals; both pullable."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from ocpp.v16 import call
from ocpp.v201 import call as call201
from sqlalchemy import select

from chargeledger.directory import registry
from chargeledger.domain.network import Connector, ConnectorStandard, CurrentType, Evse, OcppVersion, Station
from chargeledger.ocpi import queue
from chargeledger.ocpi.objects.sessions import Cdr, Session
from chargeledger.ocpi.subscribers import push_energy
from chargeledger.storage.tables import session_settlements
from chargeledger.storage.tables import sessions as session_table
from chargeledger.settlement.store import reprice
from chargeledger.tariffs import store as tariffs
from tests.builders import at
from tests.http.live import serving
from tests.ocpi_live.network import EVSE_1, published_network, registered_peer
from tests.ocpi_live.peer import running_peer
from tests.ocpp.helpers import charger, gateway_on, iso, settled
from tests.ocpp.test_session_v201 import events
from tests.settlement.helpers import tariff_text


def test_pushed_tokens_are_stored_patched_and_refused_clearly(engine):
    published_network(engine)
    with serving(engine) as (base, _app), running_peer() as peer:
        registered_peer(engine, base, peer)
        put = peer.send("PUT", "tokens", "/DE/EMS/TAG-1", peer.token("TAG-1"))
        assert put.status_code == 200 and put.json()["status_code"] == 1000, put.text
        assert peer.send("GET", "tokens", "/DE/EMS/TAG-1").json()["data"]["whitelist"] == "ALLOWED"
        no_stamp = peer.send("PATCH", "tokens", "/DE/EMS/TAG-1", {"valid": False})
        assert no_stamp.status_code == 400 and no_stamp.json()["status_code"] == 2001
        patched = peer.send("PATCH", "tokens", "/DE/EMS/TAG-1", {"valid": False,
                                                                 "last_updated": "2024-01-02T00:00:00Z"})
        assert patched.json()["status_code"] == 1000
        assert peer.send("GET", "tokens", "/DE/EMS/TAG-1").json()["data"]["valid"] is False
        unknown = peer.send("PATCH", "tokens", "/DE/EMS/NOPE", {"valid": True, "last_updated": "2024-01-02T00:00:00Z"})
        assert unknown.status_code == 404 and unknown.json()["status_code"] == 2004
        assert peer.send("GET", "tokens", "/DE/EMS/NOPE").status_code == 404
        other_party = peer.send("PUT", "tokens", "/NL/XYZ/TAG-2", peer.token("TAG-2") | {"country_code": "NL",
                                                                                          "party_id": "XYZ"})
        assert other_party.status_code == 403
        bad = peer.send("PUT", "tokens", "/DE/EMS/TAG-3", peer.token("TAG-3") | {"whitelist": "SOMETIMES"})
        assert bad.status_code == 400 and bad.json()["status_code"] == 2001


async def test_a_roaming_session_is_decided_by_the_token_and_ends_in_a_cdr_at_the_partner(engine):
    published_network(engine)
    tariffs.save_tariff(engine, "ACME", tariff_text())
    tariffs.assign(engine, "TOU-1", "site", "ACME-SITE")
    with serving(engine) as (base, _app), running_peer() as peer:
        registered_peer(engine, base, peer)
        peer.send("PUT", "tokens", "/DE/EMS/TAG-1", peer.token("TAG-1"))
        peer.send("PUT", "tokens", "/DE/EMS/BLOCKED-1", peer.token("BLOCKED-1", valid=False))
        peer.allowed_uids.add("LIVE-1")
        async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
            assert (await cp.call(call.Authorize(id_tag="tag-1"))).id_tag_info["status"] == "Accepted"
            assert (await cp.call(call.Authorize(id_tag="BLOCKED-1"))).id_tag_info["status"] == "Blocked"
            assert (await cp.call(call.Authorize(id_tag="LIVE-1"))).id_tag_info["status"] == "Accepted"  # real time
            assert (await cp.call(call.Authorize(id_tag="STRANGER"))).id_tag_info["status"] == "Invalid"
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing",
                                                  timestamp=iso(at(0))))
            started = await cp.call(call.StartTransaction(connector_id=1, id_tag="TAG-1", meter_start=1000,
                                                          timestamp=iso(at(1))))
            assert started.id_tag_info["status"] == "Accepted"
            await cp.call(call.StopTransaction(meter_stop=12500, timestamp=iso(at(61)),
                                               transaction_id=started.transaction_id, reason="EVDisconnected"))
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available",
                                                  timestamp=iso(at(70))))
            await settled(gateway)
        # queued on start, on stop and on pricing; delivered only now, so the partner gets the newest session (each
        # push is the whole session) and the earlier ones are marked replaced
        assert [r["module"] for r in queue.listing(engine, state="pending")].count("sessions") >= 3
        queue.deliver(engine)
        (pushed,) = peer.pushes("sessions")
        assert pushed.method == "PUT" and len(queue.listing(engine, state="replaced")) >= 2
        last = pushed.body
        Session.model_validate(last)
        assert last["status"] == "COMPLETED"
        assert last["cdr_token"] == {"country_code": "DE", "party_id": "EMS", "uid": "TAG-1", "type": "RFID",
                                     "contract_id": "DE-EMS-CTAG-1"}
        assert last["location_id"] == "ACME-SITE" and last["evse_uid"] == EVSE_1 and last["kwh"] == 11.5
        (cdr,) = [p.body for p in peer.pushes("cdrs")]
        Cdr.model_validate(cdr)
        # the peer answered the CDR's POST (to the module's URL itself) with success: the push is sent, not failed
        assert [r["state"] for r in queue.listing(engine) if r["module"] == "cdrs"] == ["sent"]
        with engine.connect() as conn:
            money = conn.execute(select(session_settlements)).one()
        assert Decimal(str(cdr["total_cost"]["excl_vat"])) == money.total_cost_excl_vat.quantize(Decimal("0.0001"))
        assert Decimal(str(cdr["total_cost"]["incl_vat"])) == money.total_cost_incl_vat.quantize(Decimal("0.0001"))
        assert cdr["total_energy"] == 11.5 and cdr["session_id"] == last["id"]
        assert Decimal(str(last["total_cost"]["excl_vat"])) == Decimal(str(cdr["total_cost"]["excl_vat"]))
        # the partner's pushes arrived in order: the session completed, then its CDR
        order = [p.path.split("/")[2] for p in peer.pushes() if p.path.split("/")[2] in ("sessions", "cdrs")]
        assert order[-1] == "cdrs" and order.count("cdrs") == 1
        # a roaming session like any other: the roaming-sessions report and the session page read these
        with engine.connect() as conn:
            row = conn.execute(select(session_table.c.network, session_table.c.summary)).one()
        assert row.network == "OCPI" and row.summary["roaming"]["provider_id"] == "DE*EMS"
        assert row.summary["roaming"]["operator_id"] == "NL*ACM"
        # and it can pull both
        pulled = peer.get("sessions").json()["data"]
        assert [s["id"] for s in pulled] == [last["id"]] and pulled[0]["status"] == "COMPLETED"
        assert peer.get("cdrs").json()["data"] == [cdr]
        # re-priced (a corrected tariff): a credit CDR for the first, then the new CDR, in that order
        tariffs.save_tariff(engine, "ACME", tariff_text().replace('0.40', '0.45'))
        reprice(engine, int(last["id"]), "tariff corrected", "ops@acme.example",
                now=datetime.now(timezone.utc) + timedelta(minutes=5))
        queue.deliver(engine)
        credit, new = [p.body for p in peer.pushes("cdrs")][1:]
        Cdr.model_validate(credit)
        Cdr.model_validate(new)
        assert (credit["id"], credit["credit"], credit["credit_reference_id"]) == (cdr["id"] + "-C", True, cdr["id"])
        assert credit["total_cost"] == {k: -v for k, v in cdr["total_cost"].items()}
        assert credit["last_updated"] == new["last_updated"] != cdr["last_updated"]  # the credit's own time
        with engine.connect() as conn:
            second = conn.execute(select(session_settlements).where(session_settlements.c.current.is_(True))).one()
        assert second.version == 2 and new["id"] == f"{cdr['id']}-2"
        assert Decimal(str(new["total_cost"]["excl_vat"])) == second.total_cost_excl_vat.quantize(Decimal("0.0001"))
        assert new["total_cost"]["excl_vat"] > cdr["total_cost"]["excl_vat"]
        pulled = peer.get("cdrs").json()["data"]
        assert [c["id"] for c in pulled] == [cdr["id"], credit["id"], new["id"]]


async def test_an_ocpp_201_transaction_with_a_partner_token_is_the_partners_session(engine):
    published_network(engine)
    registry.add_station(engine, Station("CP-9", "ACME", "ACME-SITE", "CP-9 name", ocpp_version=OcppVersion("2.0.1"),
                                         evses=(Evse("NL*ACM*ECP9*1", 1, (Connector(
                                             1, ConnectorStandard.TYPE_2, CurrentType.AC, Decimal("22"), 3),)),)),
                         unsecured=True)
    with serving(engine) as (base, _app), running_peer() as peer:
        registered_peer(engine, base, peer)
        peer.send("PUT", "tokens", "/DE/EMS/TAG-201", peer.token("TAG-201"))
        async with gateway_on(engine) as gateway, charger(gateway, "CP-9", "2.0.1") as cp:
            await cp.call(call201.StatusNotification(timestamp=iso(at(0)), connector_status="Occupied", evse_id=1,
                                                     connector_id=1))
            for event in events("tx-201"):
                answer = await cp.call(event)
                if event.id_token:
                    assert answer.id_token_info["status"] == "Accepted"
            await settled(gateway)
        queue.deliver(engine)
    (pushed,) = [p.body for p in peer.pushes("sessions")]
    assert pushed["cdr_token"]["uid"] == "TAG-201" and pushed["evse_uid"] == "NL*ACM*ECP9*1"
    assert pushed["status"] == "COMPLETED" and pushed["kwh"] == 10.0
    evse_patches = [p.body["status"] for p in peer.pushes("locations")]
    assert evse_patches == ["CHARGING"]  # Occupied, from the 2.0.1 StatusNotification


async def test_a_session_is_put_on_start_then_patched_with_what_changed(engine):
    published_network(engine)
    with serving(engine) as (base, _app), running_peer() as peer:
        registered_peer(engine, base, peer)
        peer.send("PUT", "tokens", "/DE/EMS/TAG-1", peer.token("TAG-1"))
        async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
            started = await cp.call(call.StartTransaction(connector_id=1, id_tag="TAG-1", meter_start=1000,
                                                          timestamp=iso(at(1))))
            await settled(gateway)
            assert push_energy(engine) == 1
            queue.deliver(engine)
            for minute, wh in ((16, 3500), (31, 6000)):
                await cp.call(call.MeterValues(connector_id=1, transaction_id=started.transaction_id, meter_value=[
                    {"timestamp": iso(at(minute)), "sampledValue": [
                        {"value": str(wh), "unit": "Wh", "measurand": "Energy.Active.Import.Register"}]}]))
                await settled(gateway)
                push_energy(engine)
                push_energy(engine)  # nothing new since: nothing queued
                queue.deliver(engine)
            await cp.call(call.StopTransaction(meter_stop=7000, timestamp=iso(at(40)),
                                               transaction_id=started.transaction_id, reason="EVDisconnected"))
            await settled(gateway)
            queue.deliver(engine)
        pulled = peer.get("sessions").json()["data"]
    pushed = [(p.method, p.body) for p in peer.pushes("sessions")]
    first, *changes = pushed
    assert first[0] == "PUT" and (first[1]["status"], first[1]["kwh"], first[1]["last_updated"]) == (
        "ACTIVE", 0, iso(at(1)))
    Session.model_validate(first[1])
    # the energy as it grows: only kwh and last_updated; the end: what the stop changed
    assert changes[:2] == [("PATCH", {"kwh": 2.5, "last_updated": iso(at(16))}),
                           ("PATCH", {"kwh": 5, "last_updated": iso(at(31))})]
    assert [c[0] for c in changes[2:]] == ["PATCH"] and changes[2][1]["status"] == "COMPLETED"
    assert set(changes[2][1]) <= {"status", "end_date_time", "kwh", "last_updated", "total_cost"}
    assert changes[2][1]["end_date_time"] == iso(at(40)) and changes[2][1]["kwh"] == 6
    # the peer's copy, built from the PUT and the PATCHes, is the session it pulls
    (copy,) = peer.objects.values()
    assert [copy] == pulled
