"""Stations authenticate, one connection per station, dead links found, limits per address and per connection,
tokens scoped to their organisation (issue 13), all through real websockets against the gateway."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import ssl
import time

import pytest
from ocpp.v16 import call
from sqlalchemy import select
from typer.testing import CliRunner
from websockets.exceptions import ConnectionClosed, InvalidMessage, InvalidStatus

from chargeledger.directory import registry
from chargeledger.domain.people import Driver, IdToken
from chargeledger.ocpp.settings import GatewaySettings
from chargeledger.storage.tables import id_tokens, sessions, stations
from tests.builders import add_network, at
from tests.ocpp.certificates import Authority
from tests.ocpp.helpers import charger, gateway_on, iso

PASSWORD = "a-station-password-of-24"


async def _refused(gateway, station_id, **kw) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with charger(gateway, station_id, **kw):
            pass
    return refused.value.response.status_code


async def test_a_station_without_credentials_is_refused_unless_marked_unsecured(engine):
    add_network(engine, password=PASSWORD)
    registry.set_station_password(engine, "CP-1", None)  # no password, not marked unsecured
    async with gateway_on(engine) as gateway:
        assert await _refused(gateway, "CP-1") == 401
        assert await _refused(gateway, "CP-1", password="anything-at-all-here") == 401
        registry.set_station_password(engine, "CP-1", None, unsecured=True)
        async with charger(gateway, "CP-1") as cp:
            assert (await cp.call(call.Heartbeat())).current_time
        registry.set_station_password(engine, "CP-1", PASSWORD)
        assert await _refused(gateway, "CP-1") == 401
        assert await _refused(gateway, "CP-1", password=PASSWORD[:-1] + "!") == 401
        async with charger(gateway, "CP-1", password=PASSWORD) as cp:
            assert (await cp.call(call.Heartbeat())).current_time


def test_station_add_generates_a_password_shown_once_and_refuses_short_ones(engine, monkeypatch):
    from chargeledger.cli.main import app
    add_network(engine)
    monkeypatch.setenv("CHARGELEDGER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    added = runner.invoke(app, ["station", "add", "CP-NEW", "--org", "ACME", "--site", "ACME-SITE"])
    assert added.exit_code == 0, added.output
    password = added.output.split("(shown once, stored hashed): ")[1].split()[0]
    assert len(password.encode()) >= 16
    with engine.connect() as conn:
        row = conn.execute(select(stations.c.password_hash, stations.c.unsecured)
                           .where(stations.c.id == "CP-NEW")).one()
    assert row.password_hash.startswith("$argon2") and password not in row.password_hash and not row.unsecured
    short = runner.invoke(app, ["station", "add", "CP-SHORT", "--org", "ACME", "--site", "ACME-SITE",
                                "--password", "too-short"])
    assert short.exit_code != 0 and "at least 16 bytes" in short.output
    rotated = runner.invoke(app, ["station", "password", "CP-NEW"])
    assert rotated.exit_code == 0 and "shown once" in rotated.output


async def test_profile_3_client_certificates_name_their_station(sqlite_engine, tmp_path):
    add_network(sqlite_engine, password=PASSWORD)
    add_network(sqlite_engine, org_id="BETA", station_id="CP-B", password=PASSWORD)
    registry.set_station_password(sqlite_engine, "CP-1", None)  # only its certificate can let it in
    authority = Authority(tmp_path)
    server_cert, server_key = authority.issue("localhost", server=True)
    settings = {"ssl_context": GatewaySettings.tls(server_cert, server_key, client_ca=authority.path)}

    def client(station_id=None, ca=authority):
        context = ssl.create_default_context(cafile=authority.path)
        if station_id:
            context.load_cert_chain(*ca.issue(station_id))
        return context

    async with gateway_on(sqlite_engine, **settings) as gateway:
        url = f"wss://localhost:{gateway.port}"
        async with charger(url, "CP-1", ssl=client("CP-1")) as cp:
            assert (await cp.call(call.Heartbeat())).current_time
        assert await _refused(url, "CP-1", ssl=client("CP-B")) == 401  # a certificate for another station
        assert await _refused(url, "CP-1", ssl=client()) == 401       # none, and no password
        with pytest.raises((ssl.SSLError, OSError, InvalidMessage)):  # issued by a CA we do not trust (TLS 1.3: after)
            async with charger(url, "CP-1", ssl=client("CP-1", ca=Authority(tmp_path / "..", "Rogue CA"))):
                pass
        async with charger(url, "CP-B", password=PASSWORD, ssl=client()) as cp:  # profile 2 on the same port
            assert (await cp.call(call.Heartbeat())).current_time


async def test_a_takeover_closes_the_old_connection_at_once_and_drops_its_messages(engine, caplog):
    add_network(engine)
    caplog.set_level(logging.WARNING, "chargeledger.ocpp.gateway")
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as first:
        await first.call(call.Heartbeat())
        first._connection.transport.pause_reading()  # half-open: it will never answer the close
        began = time.monotonic()
        async with charger(gateway, "CP-1") as second:
            assert (await second.call(call.Heartbeat())).current_time
            assert time.monotonic() - began < 2  # not after the old socket's close timeout
            first._connection.transport.resume_reading()
            with pytest.raises((ConnectionClosed, asyncio.TimeoutError)):
                await asyncio.wait_for(first.call(call.StatusNotification(
                    connector_id=1, error_code="NoError", status="Preparing", timestamp=iso(at(0)))), 3)
            assert gateway.connected["CP-1"] is not None
    with engine.connect() as conn:
        assert conn.execute(select(sessions.c.id)).first() is None  # the old connection opened nothing
    assert any("connected again from 127.0.0.1: closing its connection from 127.0.0.1" in r.getMessage()
               for r in caplog.records)


async def test_a_silent_charger_is_found_dead_within_two_ping_intervals(engine):
    add_network(engine)
    async with gateway_on(engine, ping_interval=0.4) as gateway, charger(gateway, "CP-1") as cp:
        await cp.call(call.Heartbeat())
        cp._connection.transport.pause_reading()  # no pong ever comes back
        began = time.monotonic()
        while "CP-1" in gateway.connected and time.monotonic() - began < 5:
            await asyncio.sleep(0.05)
        assert "CP-1" not in gateway.connected and time.monotonic() - began < 2 * 0.4 + 0.5
        # reading again lets the old connection see the gateway's close: its own close then returns at once
        # instead of waiting websockets' 10 s close timeout for an answer it could not read
        cp._connection.transport.resume_reading()
        await asyncio.sleep(0.2)
        with engine.connect() as conn:
            assert conn.execute(select(stations.c.status).where(stations.c.id == "CP-1")).scalar() == "Offline"
        async with charger(gateway, "CP-1") as again:  # accepted at once
            assert (await again.call(call.Heartbeat())).current_time


async def test_a_chatty_charger_gets_call_errors_and_keeps_its_connection(engine):
    add_network(engine)
    async with gateway_on(engine, messages_per_second=5, message_burst=10) as gateway, \
            charger(gateway, "CP-1") as cp:
        answers = await asyncio.gather(*(cp.call(call.Heartbeat(), suppress=False) for _ in range(30)),
                                       return_exceptions=True)
        limited = [a for a in answers if isinstance(a, Exception)]
        assert 15 <= len(limited) <= 20 and all(a.code == "GenericError" for a in limited)  # noqa: PLR2004
        await asyncio.sleep(0.5)
        assert (await cp.call(call.Heartbeat())).current_time


async def test_limits_per_client_address(engine):
    add_network(engine, password=PASSWORD)
    add_network(engine, org_id="BETA", station_id="CP-B", password=PASSWORD)
    async with gateway_on(engine, connections_per_address=2) as gateway:
        async with charger(gateway, "CP-1", password=PASSWORD), charger(gateway, "CP-B", password=PASSWORD):
            assert await _refused(gateway, "CP-1", password=PASSWORD) == 429
    async with gateway_on(engine, handshakes_per_address=2, auth_workers=1) as gateway:
        codes = await asyncio.gather(*(_refused(gateway, "CP-1", password="wrong-password-guess") for _ in range(12)))
        assert set(codes) == {401, 503} and codes.count(503) >= 6  # noqa: PLR2004


async def test_station_passwords_are_checked_by_the_bounded_worker_process_which_a_kill_does_not_stop(engine):
    add_network(engine, password=PASSWORD)
    async with gateway_on(engine, handshakes_per_address=50, auth_workers=1, auth_waiting=1) as gateway:
        # one check running, one waiting: the rest of a burst of guesses is refused at once, not queued
        codes = await asyncio.gather(*(_refused(gateway, "CP-1", password="wrong-password-guess") for _ in range(8)))
        assert set(codes) == {401, 503} and codes.count(503) >= 4, codes  # noqa: PLR2004
        for pid in gateway.passwords.pids():
            os.kill(pid, signal.SIGKILL)
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        async with charger(gateway, "CP-1", password=PASSWORD) as cp:  # the next check starts a new worker
            assert (await cp.call(call.Heartbeat())).current_time
        assert await _refused(gateway, "CP-1", password="wrong-password-guess") == 401


async def test_frames_above_the_limit_close_the_connection(engine):
    add_network(engine)
    async with gateway_on(engine, max_frame_bytes=4096) as gateway, charger(gateway, "CP-1") as cp:
        await cp._connection.send('[2,"big","DataTransfer",{"vendorId":"x","data":"' + "x" * 5000 + '"}]')
        await cp._connection.wait_closed()
        assert cp._connection.close_code == 1009  # message too big


async def test_a_token_is_known_only_at_its_own_organisations_stations_unless_roaming(engine):
    add_network(engine)
    add_network(engine, org_id="BETA", station_id="CP-B")
    registry.add_driver(engine, Driver("DA", "ACME", "Ada"), [IdToken("ACME-TAG"), IdToken("ROAM-TAG")])
    with engine.begin() as conn:
        conn.execute(id_tokens.update().where(id_tokens.c.uid == "ROAM-TAG").values(roaming=True))
    async with gateway_on(engine) as gateway:
        async with charger(gateway, "CP-B") as cp:
            assert (await cp.call(call.Authorize(id_tag="ACME-TAG"))).id_tag_info["status"] == "Invalid"
            assert (await cp.call(call.Authorize(id_tag="ROAM-TAG"))).id_tag_info["status"] == "Accepted"
            started = await cp.call(call.StartTransaction(connector_id=1, id_tag="ACME-TAG", meter_start=0,
                                                          timestamp=iso(at(0))))
            assert started.id_tag_info["status"] == "Invalid"
        async with charger(gateway, "CP-1") as cp:
            assert (await cp.call(call.Authorize(id_tag="ACME-TAG"))).id_tag_info["status"] == "Accepted"
    from chargeledger.ledger import Ledger
    view = Ledger(engine).project(started.transaction_id)
    assert view.identity.driver_id is None  # recorded without ACME's driver
