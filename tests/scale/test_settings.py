"""One settings object: environment over the TOML file over defaults; `config show` masks secrets; split roles are
refused without a bus or on SQLite, before anything starts."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from chargeledger.cli.main import app
from chargeledger.settings import Settings, refuse_roles

PG = "postgresql+psycopg://ops:s3cret@db.example:5432/chargeledger"


def _clean(monkeypatch):
    for name in ("CHARGELEDGER_DATABASE_URL", "CHARGELEDGER_BUS_URL", "CHARGELEDGER_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def test_environment_wins_over_the_file_which_wins_over_defaults(monkeypatch, tmp_path):
    _clean(monkeypatch)
    file = tmp_path / "chargeledger.toml"
    file.write_text(f'database_url = "{PG}"\ncommand_timeout = 12.5\n[http]\nmax_body_bytes = 2048\n')
    monkeypatch.setenv("CHARGELEDGER_CONFIG", str(file))
    monkeypatch.setenv("CHARGELEDGER_COMMAND_TIMEOUT", "7")
    settings = Settings()
    assert settings.database_url == PG and settings.command_timeout == 7.0
    assert settings.http.max_body_bytes == 2048 and settings.http.header_timeout == 10.0
    assert settings.bus_url is None


def test_a_typo_in_the_file_or_a_bad_value_is_refused_by_name(monkeypatch, tmp_path):
    _clean(monkeypatch)
    file = tmp_path / "chargeledger.toml"
    file.write_text('databse_url = "sqlite:///x"\n')
    monkeypatch.setenv("CHARGELEDGER_CONFIG", str(file))
    with pytest.raises(ValueError, match="databse_url"):
        Settings()
    monkeypatch.delenv("CHARGELEDGER_CONFIG")
    monkeypatch.setenv("CHARGELEDGER_BUS_URL", "amqp://rabbit")
    with pytest.raises(ValueError, match="the bus is NATS"):
        Settings()


def test_config_show_prints_effective_settings_with_secrets_masked(monkeypatch):
    _clean(monkeypatch)
    monkeypatch.setenv("CHARGELEDGER_DATABASE_URL", PG)
    monkeypatch.setenv("CHARGELEDGER_BUS_URL", "nats://bus-user:bus-pass@127.0.0.1:4222")
    monkeypatch.setenv("CHARGELEDGER_HTTP_MAX_BODY_BYTES", "4096")
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output and "bus-pass" not in result.output
    assert "database_url = postgresql+psycopg://ops:***@db.example:5432/chargeledger" in result.output
    assert "bus_url = nats://bus-user:***@127.0.0.1:4222" in result.output
    assert "http.max_body_bytes = 4096" in result.output


def test_config_option_names_the_file(monkeypatch, tmp_path):
    _clean(monkeypatch)
    file = tmp_path / "prod.toml"
    file.write_text('bus_url = "nats://127.0.0.1:4222"\n')
    result = CliRunner().invoke(app, ["--config", str(file), "config", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert '"bus_url": "nats://127.0.0.1:4222"' in result.output


def test_split_roles_need_a_bus_and_a_shared_database(monkeypatch):
    _clean(monkeypatch)
    assert refuse_roles(Settings(), {"gateway", "api", "worker"}) is None  # the embedded default needs nothing
    assert "CHARGELEDGER_BUS_URL" in refuse_roles(Settings(database_url=PG), {"gateway"})
    assert "SQLite" in refuse_roles(Settings(bus_url="nats://127.0.0.1:4222"), {"api", "worker"})
    assert refuse_roles(Settings(database_url=PG, bus_url="nats://127.0.0.1:4222"), {"gateway"}) is None


@pytest.mark.parametrize("env, complaint", [({}, "CHARGELEDGER_BUS_URL"),
                                            ({"CHARGELEDGER_BUS_URL": "nats://127.0.0.1:4222"}, "SQLite")])
def test_serve_refuses_split_roles_at_start(monkeypatch, env, complaint):
    _clean(monkeypatch)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["serve", "--role", "gateway"])
    assert result.exit_code == 2 and complaint in result.output


def test_serve_refuses_an_unknown_role(monkeypatch):
    _clean(monkeypatch)
    result = CliRunner().invoke(app, ["serve", "--role", "everything"])
    assert result.exit_code == 2 and "unknown role everything" in result.output
