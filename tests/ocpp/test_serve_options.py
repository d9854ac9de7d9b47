"""`chargeledger serve` options reach the gateway: TLS (a real wss handshake) and auto-registration."""

from __future__ import annotations

import asyncio
import ssl

import pytest
from ocpp.v16 import call
from typer.testing import CliRunner

from chargeledger.cli import serve as serve_cli
from chargeledger.cli.main import app
from chargeledger.ocpp.gateway import Gateway
from tests.builders import add_network
from tests.ocpp.helpers import charger
from tests.ocpp.test_handshake import _self_signed


def _settings_from_cli(monkeypatch, *options):
    """Run the real `serve` command line, keeping what it would hand to the gateway instead of serving forever."""
    seen = {}

    def captured(process):
        seen["settings"] = process.gateway_settings

    monkeypatch.setattr(serve_cli, "start", captured)
    result = CliRunner().invoke(app, ["serve", *options])
    return result, seen.get("settings")


async def test_tls_options_give_a_gateway_that_speaks_wss(sqlite_engine, tmp_path, monkeypatch):
    add_network(sqlite_engine)
    cert, key = _self_signed(tmp_path)
    # The command runs its own event loop: from this async test it runs in a thread.
    result, settings = await asyncio.to_thread(_settings_from_cli, monkeypatch, "--tls-cert", cert, "--tls-key", key)
    assert result.exit_code == 0, result.output
    gateway = Gateway(sqlite_engine, settings)
    await gateway.start("127.0.0.1", 0)
    try:
        trusting = ssl.create_default_context(cafile=cert)
        async with charger(f"wss://localhost:{gateway.port}", "CP-1", ssl=trusting) as cp:
            assert (await cp.call(call.Heartbeat())).current_time
    finally:
        await gateway.stop()


@pytest.mark.parametrize("options,complaint", [(["--tls-key", "k.pem"], "--tls-key needs --tls-cert"),
                                               (["--tls-cert", "/nonexistent.pem"], "cannot load the certificate")])
def test_bad_tls_options_stop_the_start(monkeypatch, options, complaint):
    result, settings = _settings_from_cli(monkeypatch, *options)
    assert result.exit_code != 0 and settings is None
    assert complaint in result.output


def test_auto_register_site_reaches_the_settings(monkeypatch):
    result, settings = _settings_from_cli(monkeypatch, "--auto-register-site", "SITE-9")
    assert result.exit_code == 0, result.output
    assert settings.auto_register_site == "SITE-9" and settings.ssl_context is None


def test_the_heartbeat_interval_reaches_the_settings(monkeypatch):
    result, settings = _settings_from_cli(monkeypatch, "--heartbeat-interval", "120")
    assert result.exit_code == 0, result.output
    assert settings.heartbeat_interval == 120
    refused, _ = _settings_from_cli(monkeypatch, "--heartbeat-interval", "0")
    assert refused.exit_code != 0


def test_one_transaction_per_token_unless_the_operator_allows_more(monkeypatch):
    _, settings = _settings_from_cli(monkeypatch)
    assert settings.concurrent_transactions is False
    result, settings = _settings_from_cli(monkeypatch, "--concurrent-transactions")
    assert result.exit_code == 0, result.output
    assert settings.concurrent_transactions is True


def test_the_ftp_upload_location_is_configured_by_environment(monkeypatch):
    import pytest
    from pydantic import ValidationError

    from chargeledger.settings import Settings

    monkeypatch.setenv("CHARGELEDGER_FTP_PORT", "18221")
    monkeypatch.setenv("CHARGELEDGER_FTP_PASSIVE_PORTS", "18230-18239")
    settings = Settings()
    assert (settings.ftp_port, settings.ftp_passive_range) == (18221, range(18230, 18240))
    monkeypatch.setenv("CHARGELEDGER_FTP_PASSIVE_PORTS", "all of them")
    with pytest.raises(ValidationError):
        Settings()
