"""The price breakdown as data: numbered invoice lines grouped by tariff window, then fees, then adjustments, then
a totals stack; shown excluding or including VAT. Stored with the settlement, rendered per request."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .compute import Settlement
from .currency import round_money

SECTIONS = ("tariff", "fees", "adjustments")


def _s(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def stored_breakdown(settlement: Settlement, ocpi_totals: dict[str, Any]) -> dict[str, Any]:
    """What session_settlements.breakdown keeps: every line with its exact and invoice amount, and the totals."""
    ordered = sorted(settlement.lines, key=lambda line: SECTIONS.index(line.section))
    a = settlement.amounts
    return {
        "currency": settlement.currency,
        "lines": [{"number": n, "section": l.section, "group": l.group, "description": l.description, "fee": l.fee,
                   "quantity": _s(l.quantity), "unit": l.unit, "unit_price": _s(l.unit_price),
                   "vat_rate": _s(l.vat_rate), "exact": _s(l.exact), "amount": _s(l.amount)}
                  for n, l in enumerate(ordered, start=1)],
        "taxes": a["taxes"], "excise_tax": _s(a["excise_tax"]), "taxes_inclusive": a["taxes_inclusive"],
        "amount_before_discount": _s(a["amount_before_discount"]), "subtotal": _s(a["subtotal"]),
        "total_tax": _s(a["total_tax"]), "payment_total": _s(a["payment_total"]),
        "ocpi_totals": {k: _s(v) if not isinstance(v, dict) else {p: _s(x) for p, x in v.items()}
                        for k, v in ocpi_totals.items()},
        "decision": settlement.waived,
    }


def render(stored: dict[str, Any], vat: str = "excl") -> dict[str, Any]:
    """The breakdown for the page: vat="excl" shows net amounts, "incl" each line with its VAT."""
    if vat not in ("excl", "incl"):
        raise ValueError("vat is incl or excl")
    currency = stored["currency"]
    sections: list[dict[str, Any]] = []
    for line in stored["lines"]:
        amount = Decimal(line["amount"])
        if vat == "incl" and line["vat_rate"] is not None and not stored["taxes_inclusive"]:
            amount += round_money(amount * Decimal(line["vat_rate"]) / 100, currency)
        title = line["group"]
        if not sections or sections[-1]["title"] != title or sections[-1]["section"] != line["section"]:
            sections.append({"section": line["section"], "title": title, "lines": []})
        sections[-1]["lines"].append({**line, "shown": str(amount)})
    taxes = [{"label": t["name"] if t["jurisdiction"] == "VAT" else f"{t['jurisdiction']} tax ({t['name']})",
              "rate": t["rate"], "amount": t["amount"]} for t in stored["taxes"]]
    if Decimal(stored["excise_tax"]):
        taxes.append({"label": "Excise tax", "rate": None, "amount": stored["excise_tax"]})
    if vat == "excl":
        stack = [{"label": "Amount before discount", "amount": stored["amount_before_discount"]},
                 {"label": "Subtotal", "amount": stored["subtotal"]}, *taxes,
                 {"label": "Total", "amount": stored["payment_total"]}]
    else:
        stack = [{"label": "Total incl. tax", "amount": stored["payment_total"]},
                 *({**t, "label": f"of which {t['label']}"} for t in taxes),
                 {"label": "Net", "amount": str(Decimal(stored["payment_total"]) - Decimal(stored["total_tax"]))}]
    return {"currency": currency, "vat": vat, "sections": sections, "totals": stack,
            "ocpi_totals": stored["ocpi_totals"], "decision": stored.get("decision"),
            "note": "line amounts are rounded half-up to the currency's minor unit; ocpi_totals are unrounded"}
