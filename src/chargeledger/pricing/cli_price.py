"""`chargeledger price --tariff FILE --cdr FILE [--timezone ZONE]`: the OCPI totals of a CDR under a tariff.

The only module of the package that reads files, so the engine itself stays pure; the main CLI calls register().
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from chargeledger.pricing import ocpi_json
from chargeledger.pricing.engine import price_cdr
from chargeledger.pricing.errors import CdrError, TariffError
from chargeledger.pricing.result import quantize
from chargeledger.pricing.tariff import Tariff

EXIT_REFUSED = 2


def price_command(tariff_path: str | Path, cdr_path: str | Path, timezone: str = "UTC") -> dict[str, Any]:
    """The CDR total fields priced under the tariff: money as {"excl_vat": "1.2300", "incl_vat": ...}, quantities as
    strings, all with 4 decimals; plus currency and the min/max price adjustments. Raises TariffError/CdrError."""
    tariff = Tariff.from_json(Path(tariff_path).read_text(encoding="utf-8"))
    try:
        cdr = ocpi_json.loads(Path(cdr_path).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CdrError("$", f"not valid JSON: {exc}") from None
    priced = price_cdr(tariff, cdr, timezone)
    out: dict[str, Any] = {"currency": priced.currency}
    out.update(_as_strings(priced.totals.to_ocpi()))
    out["min_price_adjustment"] = _as_strings(priced.min_price_adjustment.to_ocpi())
    out["max_price_adjustment"] = _as_strings(priced.max_price_adjustment.to_ocpi())
    return out


def _as_strings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _as_strings(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return format(quantize(value), "f")
    return value


def register(app: Any) -> None:
    """Add the `price` sub-command to a Typer app."""
    import typer  # imported here so the pricing package does not depend on the CLI library

    @app.command("price")
    def price(
        tariff: Path = typer.Option(..., "--tariff", help="OCPI 2.2.1 Tariff JSON file"),
        cdr: Path = typer.Option(..., "--cdr", help="OCPI 2.2.1 CDR JSON file"),
        timezone: str = typer.Option("UTC", "--timezone", help="IANA time zone of the location"),
    ) -> None:
        """Price a CDR with a tariff and print the OCPI CDR totals as JSON."""
        try:
            result = price_command(tariff, cdr, timezone)
        except (TariffError, CdrError, ValueError, OSError) as exc:
            print(f"price: {exc}", file=sys.stderr)
            raise typer.Exit(EXIT_REFUSED) from None
        print(json.dumps(result, indent=2))
