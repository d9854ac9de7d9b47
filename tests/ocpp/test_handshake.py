"""Who may connect: registered stations only (or auto-registered), HTTP Basic, TLS; reconnects replace; tokens."""

from __future__ import annotations

import datetime as dt
import shutil
import ssl
import subprocess

import pytest
from ocpp.v16 import call
from ocpp.v201 import call as call201
from sqlalchemy import update
from websockets.exceptions import InvalidStatus

from chargeledger.directory import registry
from chargeledger.domain.people import Driver, IdToken, TokenStatus
from chargeledger.storage.tables import id_tokens
from tests.builders import add_network
from tests.conftest import unavailable
from tests.ocpp.helpers import charger, gateway_on


async def test_unknown_station_is_refused_unless_auto_registration_is_on(engine):
    add_network(engine)
    async with gateway_on(engine) as gateway:
        with pytest.raises(InvalidStatus) as refused:
            async with charger(gateway, "CP-UNKNOWN"):
                pass
        assert refused.value.response.status_code == 404
    async with gateway_on(engine, auto_register_site="ACME-SITE") as gateway:
        async with charger(gateway, "CP-NEW", "2.0.1") as cp:
            await cp.call(call201.Heartbeat())
    from chargeledger.ocpp.stations import find_station
    assert find_station(engine, "CP-NEW").organisation_id == "ACME"


async def test_basic_auth_per_station(engine):
    add_network(engine, password="s3cret-station-pass")
    async with gateway_on(engine) as gateway:
        for wrong in (None, "wrong"):
            with pytest.raises(InvalidStatus) as refused:
                async with charger(gateway, "CP-1", password=wrong):
                    pass
            assert refused.value.response.status_code == 401
        async with charger(gateway, "CP-1", password="s3cret-station-pass") as cp:
            assert (await cp.call(call.Heartbeat())).current_time


def _self_signed(tmp_path):
    """A throwaway certificate for localhost, made with the openssl command line."""
    if shutil.which("openssl") is None:
        unavailable("the openssl command is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return str(cert), str(key)


async def test_tls_with_a_configured_certificate(sqlite_engine, tmp_path):
    from chargeledger.ocpp.settings import GatewaySettings
    add_network(sqlite_engine, password="s3cret-station-pass")
    cert, key = _self_signed(tmp_path)
    async with gateway_on(sqlite_engine, ssl_context=GatewaySettings.tls(cert, key)) as gateway:
        client = ssl.create_default_context(cafile=cert)
        async with charger(f"wss://localhost:{gateway.port}", "CP-1", password="s3cret-station-pass", ssl=client) as cp:
            assert (await cp.call(call.Heartbeat())).current_time
        with pytest.raises(ssl.SSLCertVerificationError):  # a client that does not trust the certificate
            async with charger(f"wss://localhost:{gateway.port}", "CP-1", password="s3cret-station-pass",
                               ssl=ssl.create_default_context()):
                pass


async def test_a_reconnecting_station_replaces_its_old_connection(engine):
    add_network(engine)
    async with gateway_on(engine) as gateway:
        async with charger(gateway, "CP-1") as first:
            await first.call(call.Heartbeat())
            async with charger(gateway, "CP-1") as second:
                await second.call(call.Heartbeat())
                assert gateway.connected["CP-1"].station.id == "CP-1"
                await first._connection.wait_closed()
                assert first._connection.close_code == 1000
                assert (await gateway.command("CP-1", "Reset", {"type": "Soft"}))["status"] == "Accepted"


async def test_authorisation_outcomes(engine):
    add_network(engine)
    registry.add_driver(engine, Driver("D1", "ACME", "Dana"), [
        IdToken("GOOD"), IdToken("BLOCKED", status=TokenStatus.BLOCKED), IdToken("OLD")])
    with engine.begin() as conn:
        conn.execute(update(id_tokens).where(id_tokens.c.uid == "OLD").values(
            expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)))
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
        outcomes = {tag: (await cp.call(call.Authorize(id_tag=tag))).id_tag_info["status"]
                    for tag in ("GOOD", "BLOCKED", "OLD", "NOBODY")}
    assert outcomes == {"GOOD": "Accepted", "BLOCKED": "Blocked", "OLD": "Expired", "NOBODY": "Invalid"}
