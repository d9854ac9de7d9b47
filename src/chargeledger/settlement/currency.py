"""Invoice rounding: half-up to the currency's minor unit (ISO 4217 exponent)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 currencies whose minor unit is not 2 decimals; every other code has 2.
_EXPONENT = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
                     "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
ZERO = Decimal(0)


def minor_unit(currency: str) -> int:
    return _EXPONENT.get(currency.upper(), 2)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """What the driver sees on an invoice: half-up to the currency's minor unit."""
    return Decimal(amount).quantize(Decimal(1).scaleb(-minor_unit(currency)), rounding=ROUND_HALF_UP)


def allocate(total: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """Split a rounded total over weights so the rounded parts add up to it exactly (the last part takes the rest)."""
    base = sum(weights, ZERO)
    if not weights:
        return []
    if base == 0:
        return [ZERO] * (len(weights) - 1) + [total]
    parts = [round_money(total * w / base, currency) for w in weights[:-1]]
    return parts + [total - sum(parts, ZERO)]
