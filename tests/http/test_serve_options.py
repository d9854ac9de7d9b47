"""`chargeledger serve` HTTP options reach the server: --trusted-proxy and the CHARGELEDGER_HTTP_* environment."""

from __future__ import annotations

from typer.testing import CliRunner

from chargeledger.cli import serve as serve_cli
from chargeledger.cli.main import app


def _http_settings_from_cli(monkeypatch, *options):
    seen = {}

    def captured(process):
        seen["http"] = process.settings.http

    monkeypatch.setattr(serve_cli, "start", captured)
    return CliRunner().invoke(app, ["serve", *options]), seen.get("http")


def test_trusted_proxy_and_environment_reach_the_http_settings(monkeypatch):
    monkeypatch.setenv("CHARGELEDGER_HTTP_MAX_BODY_BYTES", "4096")
    result, settings = _http_settings_from_cli(monkeypatch, "--trusted-proxy", "10.0.0.5")
    assert result.exit_code == 0, result.output
    assert settings.trusted_proxy == "10.0.0.5" and settings.max_body_bytes == 4096


def test_a_bad_setting_stops_the_start_with_its_name(monkeypatch):
    monkeypatch.setenv("CHARGELEDGER_HTTP_HEADER_TIMEOUT", "soon")
    result, settings = _http_settings_from_cli(monkeypatch)
    assert result.exit_code != 0 and settings is None
    assert "CHARGELEDGER_HTTP_HEADER_TIMEOUT" in result.output
