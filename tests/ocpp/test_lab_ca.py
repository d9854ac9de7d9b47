"""`chargeledger ca create` makes a test lab's CA and the gateway's TLS certificate; `serve` with that CA in the
settings signs with it and takes the certificates it issues as profile 3 client certificates on the TLS port."""

from __future__ import annotations

import asyncio
import stat
from datetime import datetime, timezone

from ocpp.v16 import call
from typer.testing import CliRunner

from chargeledger.cli import serve as serve_cli
from chargeledger.cli.main import app
from chargeledger.composition import _gateway
from chargeledger.pki.requests import Expected, checked
from tests.builders import add_network
from tests.ocpp.certificates import client_context, signing_request
from tests.ocpp.helpers import charger


def _serve(monkeypatch, *options):
    seen = {}
    monkeypatch.setattr(serve_cli, "start", lambda process: seen.setdefault("process", process))
    result = CliRunner().invoke(app, ["serve", *options])
    assert result.exit_code == 0, result.output
    return seen["process"]


async def test_a_lab_ca_from_the_command_line_signs_and_admits_at_profile_3(sqlite_engine, tmp_path, monkeypatch):
    add_network(sqlite_engine)
    lab = tmp_path / "lab"
    made = CliRunner().invoke(app, ["ca", "create", str(lab), "--organisation", "ACME Charging"])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE((lab / "ca.key").stat().st_mode) == 0o600
    again = CliRunner().invoke(app, ["ca", "create", str(lab)])
    assert again.exit_code != 0 and "is not replaced" in again.output

    monkeypatch.setenv("CHARGELEDGER_CA_CERTIFICATE", str(lab / "ca.pem"))
    monkeypatch.setenv("CHARGELEDGER_CA_KEY", str(lab / "ca.key"))
    monkeypatch.setenv("CHARGELEDGER_STATION_CERTIFICATE_DAYS", "30")
    process = await asyncio.to_thread(_serve, monkeypatch, "--tls-cert", str(lab / "server.pem"), "--tls-key",
                                      str(lab / "server.key"), "--ocpp-tls-port", "0")
    gateway = _gateway(sqlite_engine, process, None)
    authority = gateway.settings.authority
    assert authority is not None and gateway.settings.station_certificate_days == 30  # noqa: PLR2004
    assert gateway.settings.certificate_renew_before.days == 30  # noqa: PLR2004 - the default
    csr, key = signing_request("CP-1", "ACME Charging")
    certificate = authority.issue(checked(csr, Expected("CP-1", None, frozenset({"ACME Charging"}))), 30,
                                  datetime.now(timezone.utc))
    await gateway.start("127.0.0.1", 0)
    try:
        tls = f"wss://localhost:{gateway.tls_port}"
        async with charger(tls, "CP-1", ssl=client_context(tmp_path, str(lab / "ca.pem"),
                                                           authority.chain(certificate), key)) as cp:
            assert (await cp.call(call.Heartbeat())).current_time
        async with charger(f"ws://127.0.0.1:{gateway.port}", "CP-1") as cp:  # profile 1 beside it
            assert (await cp.call(call.Heartbeat())).current_time
    finally:
        await gateway.stop()


def test_a_ca_with_only_one_of_its_files_stops_the_start(tmp_path, monkeypatch, sqlite_engine):
    import pytest
    from chargeledger.composition import RolesRefused
    monkeypatch.setenv("CHARGELEDGER_CA_CERTIFICATE", str(tmp_path / "ca.pem"))
    process = _serve(monkeypatch)
    with pytest.raises(RolesRefused, match="both CHARGELEDGER_CA_CERTIFICATE and CHARGELEDGER_CA_KEY"):
        _gateway(sqlite_engine, process, None)
