"""The `price` sub-command: JSON with OCPI total names, 4-decimal strings; refusals on stderr with exit code 2."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from chargeledger.pricing.cli_price import price_command, register
from tests.pricing.helpers import DATA

CASE = DATA / "tandemdrive" / "step_size"


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """test root"""

    return app


def test_price_command_returns_ocpi_totals_as_strings():
    out = price_command(CASE / "tariff.json", CASE / "cdr1.json", "UTC")
    assert out["total_cost"] == {"excl_vat": "0.5502", "incl_vat": "0.5502"}
    assert out["total_parking_time"] == "0.0334"
    assert out["currency"] == "EUR"


def test_price_subcommand_prints_json():
    result = CliRunner().invoke(_app(), ["price", "--tariff", str(CASE / "tariff.json"), "--cdr",
                                         str(CASE / "cdr1.json")])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["total_time_cost"] == {"excl_vat": "0.3002", "incl_vat": "0.3002"}


def test_price_subcommand_refuses_a_bad_tariff_with_exit_code_2(tmp_path):
    bad = tmp_path / "tariff.json"
    bad.write_text('{"id": "x", "currency": "EUX", "elements": []}')
    result = CliRunner().invoke(_app(), ["price", "--tariff", str(bad), "--cdr", str(CASE / "cdr1.json")])
    assert result.exit_code == 2
    assert "currency: unknown currency" in result.output
