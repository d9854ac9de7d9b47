"""Signed meter values (OCMF) sent by real chargers over OCPP 1.6 and 2.0.1 are verified with pyocmf against the
meter's public key; a record changed after signing is invalid; the transparency-software file carries them."""

from __future__ import annotations

import base64
import json
from xml.etree import ElementTree

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from ocpp.v16 import call as c16
from ocpp.v201 import call as c201

from tests.builders import add_network, at
from tests.ocpp.helpers import api, charger, gateway_on, iso, settled, support_key

KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC_DER = KEY.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)


def _ocmf(reason: str, kwh: float, tamper: bool = False) -> str:
    payload = {"FV": "1.0", "GI": "SimCharger", "GS": "SN-1", "GV": "1.4.2", "PG": f"T{reason}",
               "MV": "ChargeLedger", "MM": "SimMeter", "MS": "MS-0001", "MF": "1.0", "IS": True,
               "IL": "VERIFIED", "IF": ["RFID_PLAIN"], "IT": "ISO14443", "ID": "0A1B2C3D",
               "RD": [{"TM": "2024-03-05T08:00:00,000+0000 S", "TX": reason, "RV": kwh, "RI": "01-00:98.08.00.FF",
                       "RU": "kWh", "RT": "AC", "EF": "", "ST": "G"}]}
    text = json.dumps(payload, separators=(",", ":"))
    signature = KEY.sign(text.encode(), ec.ECDSA(hashes.SHA256())).hex()
    if tamper:
        text = text.replace(f'"RV":{kwh}', f'"RV":{kwh + 1}')
    return f"OCMF|{text}|" + json.dumps({"SA": "ECDSA-secp256r1-SHA256", "SD": signature}, separators=(",", ":"))


async def test_2_0_1_signed_meter_values_verified_and_exported(engine):
    add_network(engine, ocpp="2.0.1")
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1", "2.0.1") as cp:
        def value(reason, kwh, tamper=False):
            return [{"timestamp": iso(at(0)), "sampledValue": [{
                "value": kwh * 1000, "measurand": "Energy.Active.Import.Register",
                "signedMeterValue": {"signedMeterData": _ocmf(reason, kwh, tamper), "signingMethod": "",
                                     "encodingMethod": "OCMF",
                                     "publicKey": base64.b64encode(PUBLIC_DER).decode()}}]}]
        await cp.call(c201.TransactionEvent(
            event_type="Started", timestamp=iso(at(0)), trigger_reason="Authorized", seq_no=0,
            transaction_info={"transactionId": "TX-S"}, evse={"id": 1, "connectorId": 1},
            id_token={"idToken": "0A1B2C3D", "type": "ISO14443"}, meter_value=value("B", 5.0)))
        await cp.call(c201.TransactionEvent(
            event_type="Ended", timestamp=iso(at(30)), trigger_reason="EVDeparted", seq_no=1,
            transaction_info={"transactionId": "TX-S", "stoppedReason": "EVDisconnected"},
            meter_value=value("E", 12.5, tamper=True)))
        await settled(gateway)
        async with api(engine, gateway, key) as http:
            from sqlalchemy import select

            from chargeledger.storage.tables import sessions
            with engine.connect() as conn:
                sid = conn.execute(select(sessions.c.id).where(sessions.c.transaction_id == "TX-S")).scalar_one()
            items = (await http.get(f"/api/sessions/{sid}/signed-meter-values")).json()["items"]
            assert [i["verdict"] for i in items] == ["valid", "invalid"]  # the end reading was changed
            assert items[0]["public_key"] == PUBLIC_DER.hex()
            assert items[0]["readings"][0]["value"] == "5.0" and items[0]["meter"]["serial"] == "MS-0001"
            xml = await http.get(f"/api/sessions/{sid}/signed-meter-values.xml")
            assert xml.status_code == 200
            values = ElementTree.fromstring(xml.text).findall("value")
            assert [v.get("context") for v in values] == ["Transaction.Begin", "Transaction.End"]
            assert values[0].find("signedData").text.startswith("OCMF|")
            assert values[0].find("publicKey").text == PUBLIC_DER.hex()
        # the Verification tab shows each verdict, the key and the download
        import httpx

        from chargeledger.http.app import create_app
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(engine, gateway)),
                                     base_url="http://test") as browser:
            await browser.post("/login", data={"email": "support@acme.example", "password": "correct horse battery",
                                               "next": "/sessions"})
            html = (await browser.get(f"/sessions/{sid}", headers={"Accept": "text/html"})).text
        assert 'id="signed-meter-card"' in html and 'data-verdict="valid"' in html and 'data-verdict="invalid"' in html
        assert PUBLIC_DER.hex() in html and f"/api/sessions/{sid}/signed-meter-values.xml" in html


@pytest.mark.parametrize("embedded", [True, False])
async def test_1_6_signed_data_with_or_without_a_public_key(engine, embedded):
    add_network(engine)
    key = support_key(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
        tx = (await cp.call(c16.StartTransaction(connector_id=1, id_tag="T1", meter_start=5000,
                                                 timestamp=iso(at(0))))).transaction_id
        record = _ocmf("B", 5.0) + (f"|{PUBLIC_DER.hex()}" if embedded else "")
        await cp.call(c16.MeterValues(connector_id=1, transaction_id=tx, meter_value=[{
            "timestamp": iso(at(0)), "sampledValue": [{"value": record, "format": "SignedData",
                                                        "context": "Transaction.Begin"}]}]))
        await settled(gateway)
        async with api(engine, gateway, key) as http:
            items = (await http.get(f"/api/sessions/{tx}/signed-meter-values")).json()["items"]
    assert [i["verdict"] for i in items] == (["valid"] if embedded else ["no public key"])
