"""The operator's CA signs a station's certificate signing request (1.6 security extension and 2.0.1 A02/A03,
TC_A_11-14): a request naming the station and its operator, with a strong enough key, is Accepted and answered with
CertificateSigned; the certificate is kept with its expiry and the station's answer; with it the station connects at
security profile 3 (mutual TLS) until it is revoked. Real CA, real requests, real TLS, over real websockets."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from ocpp.routing import on
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import call, call_result
from typer.testing import CliRunner
from websockets.exceptions import InvalidStatus

from chargeledger.ocpp.station_state import recall
from chargeledger.pki import issued
from tests.builders import add_network
from tests.ocpp.certificates import Lab, signing_request
from tests.ocpp.helpers import Charger16, Charger201, charger, gateway_on

PASSWORD = "a-station-password-of-24"
ORG = "ACME Charging"  # the organisation's name add_network gives


class Holder201(Charger201):
    """A 2.0.1 station that takes what CertificateSigned brings, or refuses it as the test says."""

    signed_answer = "Accepted"

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.chains: asyncio.Queue = asyncio.Queue()

    @on("CertificateSigned")
    async def on_certificate_signed(self, certificate_chain, **kw):
        await self.chains.put((certificate_chain, kw.get("certificate_type")))
        return call_result.CertificateSigned(status=self.signed_answer)

    @on("TriggerMessage")
    def on_trigger(self, requested_message, **kw):
        if requested_message != "SignChargingStationCertificate":
            return call_result.TriggerMessage(status="NotImplemented")
        self.key = ec.generate_private_key(ec.SECP256R1())
        csr, _ = signing_request(self.id, ORG, self.key)

        async def ask():  # after our answer, as a station does
            await asyncio.sleep(0.05)
            self.renewal = await self.call(call.SignCertificate(csr=csr,
                                                                certificate_type="ChargingStationCertificate"))
        self.asking = asyncio.ensure_future(ask())
        return call_result.TriggerMessage(status="Accepted")


class Holder16(Charger16):
    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.chains: asyncio.Queue = asyncio.Queue()

    @on("CertificateSigned")
    async def on_certificate_signed(self, certificate_chain, **kw):
        await self.chains.put((certificate_chain, None))
        return result16.CertificateSigned(status="Accepted")

    @on("ExtendedTriggerMessage")
    def on_extended_trigger(self, requested_message, **kw):
        if requested_message != "SignChargePointCertificate":
            return result16.ExtendedTriggerMessage(status="NotImplemented")
        self.key = ec.generate_private_key(ec.SECP256R1())
        csr, _ = signing_request(self.id, ORG, self.key)

        async def ask():
            await asyncio.sleep(0.05)
            self.renewal = await self.call(call16.SignCertificate(csr=csr))
        self.asking = asyncio.ensure_future(ask())
        return result16.ExtendedTriggerMessage(status="Accepted")


async def answered(engine, serial: str, status: str) -> dict:
    """The station's answer reaches the certificate's row (after the command's answer is processed)."""
    for _ in range(100):
        row = issued.find(engine, serial)
        if row["status"] == status:
            return row
        await asyncio.sleep(0.02)
    raise AssertionError(f"certificate {serial} is {row['status']}, not {status}")


async def sign(cp, version: str, common_name: str = "CP-1", organisation: str = ORG, key=None):
    """The station asks; returns the SignCertificate answer, and the chain and key once CertificateSigned came."""
    csr, key = signing_request(common_name, organisation, key)
    if version == "1.6":
        answer = await cp.call(call16.SignCertificate(csr=csr))
    else:
        answer = await cp.call(call.SignCertificate(csr=csr, certificate_type="ChargingStationCertificate"))
    if answer.status != "Accepted":
        return answer, None, key
    chain, _ = await asyncio.wait_for(cp.chains.get(), 5)
    return answer, chain, key


async def test_a_2_0_1_station_gets_its_certificate_and_connects_with_it_at_profile_3(engine, tmp_path):
    lab = Lab(tmp_path)
    add_network(engine, ocpp="2.0.1", password=PASSWORD)
    async with gateway_on(engine, **lab.gateway_settings(station_certificate_days=90)) as gateway:
        async with charger(gateway, "CP-1", "2.0.1", password=PASSWORD, cls=Holder201) as cp:  # profile 1
            answer, chain, key = await sign(cp, "2.0.1")
            assert answer.status == "Accepted"
            leaf = x509.load_pem_x509_certificates(chain.encode())
            assert len(leaf) == 1  # our CA is the root the gateway holds: only the station's certificate goes
            leaf = leaf[0]
            lab.ca.certificate.public_key().verify(leaf.signature, leaf.tbs_certificate_bytes,
                                                   ec.ECDSA(leaf.signature_hash_algorithm))
            assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CP-1"
            assert leaf.public_key().public_numbers() == key.public_key().public_numbers()
            days = (leaf.not_valid_after_utc - dt.datetime.now(dt.timezone.utc)).days
            assert 89 <= days <= 90  # noqa: PLR2004
            row = await answered(engine, format(leaf.serial_number, "x"), "Accepted")
            assert (row["station_id"], row["certificate_type"], row["not_after"]) == (
                "CP-1", "ChargingStationCertificate", leaf.not_valid_after_utc)
            assert recall(engine, "CP-1", "certificate_signing")["status"] == "Installed"

            # a second request the station then refuses to install (TC_A_14): kept as its answer
            cp.signed_answer = "Rejected"
            _, refused_chain, _ = await sign(cp, "2.0.1")
            refused = x509.load_pem_x509_certificate(refused_chain.encode())
            assert (await answered(engine, format(refused.serial_number, "x"), "Rejected"))["station_id"] == "CP-1"

        tls = f"wss://localhost:{gateway.tls_port}"
        async with charger(tls, "CP-1", "2.0.1", ssl=lab.client(chain, key)) as cp:  # profile 3, no password
            assert (await cp.call(call.Heartbeat())).current_time
        async with charger(tls, "CP-1", "2.0.1", password=PASSWORD, ssl=lab.client()) as cp:  # profile 2 still
            assert (await cp.call(call.Heartbeat())).current_time


async def test_the_operator_asks_a_station_to_renew_its_certificate(sqlite_engine, tmp_path):
    """TC_A_11: the CSMS triggers SignChargingStationCertificate; the station's request is signed and installed."""
    lab = Lab(tmp_path)
    add_network(sqlite_engine, ocpp="2.0.1")
    async with gateway_on(sqlite_engine, **lab.gateway_settings()) as gateway, \
            charger(gateway, "CP-1", "2.0.1", cls=Holder201) as cp:
        asked = await gateway.command("CP-1", "TriggerMessage", {"requestedMessage": "SignChargingStationCertificate"})
        assert asked["status"] == "Accepted"
        chain, kind = await asyncio.wait_for(cp.chains.get(), 5)
        await asyncio.wait_for(cp.asking, 5)
        assert cp.renewal.status == "Accepted" and kind == "ChargingStationCertificate"
        leaf = x509.load_pem_x509_certificate(chain.encode())
        assert leaf.public_key().public_numbers() == cp.key.public_key().public_numbers()
        await answered(sqlite_engine, format(leaf.serial_number, "x"), "Accepted")


@pytest.mark.parametrize(("common_name", "organisation", "key", "why"), [
    ("CP-2", ORG, None, "common name 'CP-2'"),  # another station
    ("CP-1", "Rogue Charging", None, "organisation 'Rogue Charging'"),
    ("CP-1", None, None, "0 organisations"),
    ("CP-1", ORG, "weak", "RSA key of 1024 bits"),
    ("SN-CP-1", "ACME", None, None),  # the serial number the station was registered with, the organisation's id
], ids=["other station", "other operator", "no operator", "weak key", "serial number and org id"])
async def test_a_request_is_signed_only_for_this_station_and_operator_with_a_strong_key(
        sqlite_engine, tmp_path, common_name, organisation, key, why):
    lab = Lab(tmp_path)
    add_network(sqlite_engine, ocpp="2.0.1")
    key = rsa.generate_private_key(65537, 1024) if key == "weak" else None
    async with gateway_on(sqlite_engine, **lab.gateway_settings()) as gateway, \
            charger(gateway, "CP-1", "2.0.1", cls=Holder201) as cp:
        answer, chain, _ = await sign(cp, "2.0.1", common_name, organisation, key)
        kept = recall(sqlite_engine, "CP-1", "certificate_signing")
        v2g = await cp.call(call.SignCertificate(csr=signing_request("CP-1", ORG)[0],
                                                 certificate_type="V2GCertificate"))
    assert v2g.status == "Rejected" and "V2G" in v2g.status_info["additional_info"]
    if why is None:
        assert answer.status == "Accepted" and chain
        return
    assert answer.status == "Rejected" and answer.status_info["reason_code"] == "InvalidCSR"
    assert why in answer.status_info["additional_info"]
    assert kept["status"] == "Rejected" and why in kept["reason"]
    assert issued.of_station(sqlite_engine, "CP-1") == []


async def test_a_1_6_charge_point_gets_its_certificate_and_loses_profile_3_when_it_is_revoked(engine, tmp_path,
                                                                                             monkeypatch):
    from chargeledger.cli.main import app
    lab = Lab(tmp_path)
    add_network(engine, password=PASSWORD)
    add_network(engine, org_id="BETA", station_id="CP-B", password=PASSWORD)
    async with gateway_on(engine, **lab.gateway_settings()) as gateway:
        async with charger(gateway, "CP-1", password=PASSWORD, cls=Holder16) as cp:
            answer, chain, key = await sign(cp, "1.6")
            assert answer.status == "Accepted"
            serial = format(x509.load_pem_x509_certificate(chain.encode()).serial_number, "x")
            assert (await answered(engine, serial, "Accepted"))["certificate_type"] == "ChargePointCertificate"
        tls = f"wss://localhost:{gateway.tls_port}"
        async with charger(tls, "CP-1", ssl=lab.client(chain, key)) as cp:
            assert (await cp.call(call16.Heartbeat())).current_time
        with pytest.raises(InvalidStatus) as other:  # CP-1's certificate does not open CP-B
            async with charger(tls, "CP-B", ssl=lab.client(chain, key)):
                pass
        assert other.value.response.status_code == 401

        monkeypatch.setenv("CHARGELEDGER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
        listed = CliRunner().invoke(app, ["certificate", "list", "CP-1"])
        assert serial in listed.output and "Accepted" in listed.output, listed.output
        revoked = CliRunner().invoke(app, ["certificate", "revoke", serial, "--reason", "keyCompromise"])
        assert revoked.exit_code == 0, revoked.output
        with pytest.raises(InvalidStatus) as refused:
            async with charger(tls, "CP-1", ssl=lab.client(chain, key)):
                pass
        assert refused.value.response.status_code == 401
        assert b"revoked (keyCompromise)" in refused.value.response.body


async def test_a_certificate_about_to_expire_is_renewed_once(sqlite_engine, tmp_path):
    """The upkeep asks a connected station whose certificate ends within certificate_renew_before for a new request
    (and not again the same day); the new certificate is signed and installed."""
    from datetime import timedelta
    lab = Lab(tmp_path)
    add_network(sqlite_engine, ocpp="2.0.1")
    async with gateway_on(sqlite_engine, **lab.gateway_settings(sweep_interval=0.1, station_certificate_days=10,
                                                                certificate_renew_before=timedelta(days=20))) \
            as gateway, charger(gateway, "CP-1", "2.0.1", cls=Holder201) as cp:
        _, first, _ = await sign(cp, "2.0.1")
        await answered(sqlite_engine, format(x509.load_pem_x509_certificate(first.encode()).serial_number, "x"),
                       "Accepted")
        renewed, _ = await asyncio.wait_for(cp.chains.get(), 5)  # asked by the upkeep, signed, installed
        await asyncio.wait_for(cp.asking, 5)
        assert cp.renewal.status == "Accepted" and renewed != first
        await asyncio.sleep(0.5)  # five more sweeps: the new one ends within the window too, but asked today
        assert cp.chains.empty()
    assert [c["status"] for c in issued.of_station(sqlite_engine, "CP-1")] == ["Accepted", "Accepted"]
    assert recall(sqlite_engine, "CP-1", "certificate_renewal")["answer"] == "Accepted"


async def test_a_connection_whose_certificate_is_revoked_is_closed(sqlite_engine, tmp_path):
    """Revoked while connected at profile 3 (in any process: the database says so): the next upkeep closes it."""
    lab = Lab(tmp_path)
    add_network(sqlite_engine, ocpp="2.0.1", password=PASSWORD)
    async with gateway_on(sqlite_engine, **lab.gateway_settings(sweep_interval=0.1)) as gateway:
        async with charger(gateway, "CP-1", "2.0.1", password=PASSWORD, cls=Holder201) as cp:
            _, chain, key = await sign(cp, "2.0.1")
            serial = format(x509.load_pem_x509_certificate(chain.encode()).serial_number, "x")
            await answered(sqlite_engine, serial, "Accepted")  # connected until its answer is in
        tls = f"wss://localhost:{gateway.tls_port}"
        async with charger(tls, "CP-1", "2.0.1", ssl=lab.client(chain, key)) as cp:
            await asyncio.sleep(0.3)  # several sweeps: a good certificate keeps its connection
            assert (await cp.call(call.Heartbeat())).current_time
            issued.revoke(sqlite_engine, serial, "keyCompromise", dt.datetime.now(dt.timezone.utc))
            await asyncio.wait_for(cp._connection.wait_closed(), 3)
            assert cp._connection.close_code == 1008  # noqa: PLR2004 - policy violation
            assert cp._connection.close_reason == "client certificate revoked"


async def test_a_1_6_charge_point_is_asked_with_extended_trigger_message(sqlite_engine, tmp_path):
    from datetime import timedelta
    lab = Lab(tmp_path)
    add_network(sqlite_engine)
    async with gateway_on(sqlite_engine, **lab.gateway_settings(sweep_interval=0.1, station_certificate_days=10,
                                                                certificate_renew_before=timedelta(days=20))) \
            as gateway, charger(gateway, "CP-1", cls=Holder16) as cp:
        _, first, _ = await sign(cp, "1.6")
        await answered(sqlite_engine, format(x509.load_pem_x509_certificate(first.encode()).serial_number, "x"),
                       "Accepted")
        renewed, _ = await asyncio.wait_for(cp.chains.get(), 5)
        await asyncio.wait_for(cp.asking, 5)
        leaf = x509.load_pem_x509_certificate(renewed.encode())
        assert cp.renewal.status == "Accepted" and leaf.public_key().public_numbers() == \
            cp.key.public_key().public_numbers()
        await answered(sqlite_engine, format(leaf.serial_number, "x"), "Accepted")
