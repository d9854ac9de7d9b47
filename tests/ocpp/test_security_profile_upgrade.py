"""Raising a station's security profile (2.0.1 A05 / TC_A_19, and the 1.6 security whitepaper): the operator
installs the CSMS root on the station, then sends SetNetworkProfile (2.0.1) or ChangeConfiguration SecurityProfile
(1.6); once the station has reconnected at the new profile a connection below it is refused, and the profile is
never lowered. The gateway listens on ws:// (profile 1) and wss:// (profiles 2 and 3) as an operator runs it."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from ocpp.routing import on
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import call, call_result
from websockets.exceptions import InvalidStatus

from chargeledger.ocpp.station_state import recall
from chargeledger.pki import issued
from tests.builders import add_network
from tests.ocpp.certificates import Lab
from tests.ocpp.helpers import Charger16, Charger201, api, charger, gateway_on, support_key
from tests.ocpp.test_certificate_signing import sign

PASSWORD = "a-station-password-of-24"


class Upgrading201(Charger201):
    """A 2.0.1 station that takes certificates and network profiles (it applies one when it reconnects)."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.chains: asyncio.Queue = asyncio.Queue()
        self.profiles: list[dict] = []

    @on("InstallCertificate")
    def on_install_certificate(self, certificate_type, certificate, **kw):
        return call_result.InstallCertificate(status="Accepted")

    @on("SetNetworkProfile")
    def on_set_network_profile(self, configuration_slot, connection_data, **kw):
        self.profiles.append(connection_data)
        return call_result.SetNetworkProfile(status="Accepted")

    @on("CertificateSigned")
    async def on_certificate_signed(self, certificate_chain, **kw):
        await self.chains.put((certificate_chain, kw.get("certificate_type")))
        return call_result.CertificateSigned(status="Accepted")


class Upgrading16(Charger16):
    @on("InstallCertificate")
    def on_install_certificate(self, certificate_type, certificate, **kw):
        return result16.InstallCertificate(status="Accepted")

    @on("ChangeConfiguration")
    def on_change_configuration(self, key, value, **kw):
        return result16.ChangeConfiguration(status="RebootRequired" if key == "SecurityProfile" else "Accepted")


async def refused(url, station_id, version, **kw) -> tuple[int, bytes]:
    with pytest.raises(InvalidStatus) as caught:
        async with charger(url, station_id, version, **kw):
            pass
    return caught.value.response.status_code, caught.value.response.body


def leaf_serial(chain: str) -> str:
    from cryptography import x509
    return format(x509.load_pem_x509_certificate(chain.encode()).serial_number, "x")


def network_profile(profile: int, url: str) -> dict:
    return {"configurationSlot": 2, "connectionData": {
        "ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": url, "messageTimeout": 30,
        "securityProfile": profile, "ocppInterface": "Wired0"}}


async def test_a_2_0_1_station_is_raised_from_profile_1_to_2_to_3_and_never_back(engine, tmp_path):
    lab = Lab(tmp_path)
    add_network(engine, ocpp="2.0.1", password=PASSWORD)
    key = support_key(engine)
    async with gateway_on(engine, **lab.gateway_settings()) as gateway, api(engine, gateway, key) as client:
        plain, tls = f"ws://127.0.0.1:{gateway.port}", f"wss://localhost:{gateway.tls_port}"

        async def send(action, payload, expected=200):
            answer = await client.post(f"/api/stations/CP-1/commands/{action}", json=payload)
            assert answer.status_code == expected, answer.text
            return answer.json()

        async with charger(plain, "CP-1", "2.0.1", password=PASSWORD, cls=Upgrading201) as cp:  # profile 1
            assert "CSMS root" in (await send("SetNetworkProfile", network_profile(2, tls), 400))["detail"]
            assert cp.profiles == []  # refused before it was sent
            await send("InstallCertificate", {"certificateType": "CSMSRootCertificate", "certificate": lab.ca.pem})
            assert (await send("SetNetworkProfile", network_profile(2, tls)))["answer"]["status"] == "Accepted"
            assert cp.profiles[0]["security_profile"] == 2
            assert recall(engine, "CP-1", "security_profile_upgrade")["status"] == "Asked"
        async with charger(plain, "CP-1", "2.0.1", password=PASSWORD) as cp:  # not yet reconnected at 2: still in
            assert (await cp.call(call.Heartbeat())).current_time

        async with charger(tls, "CP-1", "2.0.1", password=PASSWORD, ssl=lab.client(), cls=Upgrading201) as cp:
            assert (await cp.call(call.Heartbeat())).current_time  # profile 2: the upgrade is done
            assert recall(engine, "CP-1", "security_profile_upgrade")["status"] == "Done"
            assert "never lowered" in (await send("SetNetworkProfile", network_profile(1, plain), 400))["detail"]
            assert "no valid certificate" in (await send("SetNetworkProfile", network_profile(3, tls), 400))["detail"]
            _, chain, station_key = await sign(cp, "2.0.1")
            for _ in range(100):  # the station's Accepted reaches the certificate's row
                if issued.installed(engine, "CP-1", datetime.now(timezone.utc)):
                    break
                await asyncio.sleep(0.02)
            assert (await send("SetNetworkProfile", network_profile(3, tls)))["answer"]["status"] == "Accepted"
            page = (await client.get("/stations/CP-1")).text  # the operator sees where the station stands
            assert "Lowest security profile accepted: 2" in page and "raising to 3: waiting" in page
            assert leaf_serial(chain) in page and "CSMSRootCertificate" in page
        status, body = await refused(plain, "CP-1", "2.0.1", password=PASSWORD)
        assert status == 403 and b"security profile 2" in body  # TC_A_19: the lower profile is refused

        async with charger(tls, "CP-1", "2.0.1", ssl=lab.client(chain, station_key)) as cp:  # profile 3
            assert (await cp.call(call.Heartbeat())).current_time
        status, body = await refused(tls, "CP-1", "2.0.1", password=PASSWORD, ssl=lab.client())
        assert status == 403 and b"security profile 3 (this connection: 2)" in body
        status, _ = await refused(plain, "CP-1", "2.0.1", password=PASSWORD)
        assert status == 403


async def test_a_1_6_charge_point_moves_to_profile_2_with_change_configuration(engine, tmp_path):
    lab = Lab(tmp_path)
    add_network(engine, password=PASSWORD)
    async with gateway_on(engine, **lab.gateway_settings()) as gateway:
        plain, tls = f"ws://127.0.0.1:{gateway.port}", f"wss://localhost:{gateway.tls_port}"
        change = {"key": "SecurityProfile", "value": "2"}
        async with charger(plain, "CP-1", password=PASSWORD, cls=Upgrading16):
            with pytest.raises(Exception, match="CSMS root"):
                await gateway.command("CP-1", "ChangeConfiguration", change)
            installed = await gateway.command("CP-1", "InstallCertificate", {
                "certificateType": "CentralSystemRootCertificate", "certificate": lab.ca.pem})
            assert installed["status"] == "Accepted"
            assert (await gateway.command("CP-1", "ChangeConfiguration", change))["status"] == "RebootRequired"
        async with charger(tls, "CP-1", password=PASSWORD, ssl=lab.client()) as cp:
            assert (await cp.call(call16.Heartbeat())).current_time
        status, _ = await refused(plain, "CP-1", "1.6", password=PASSWORD)
        assert status == 403
