"""The demo operators' OCPI 2.2.1 tariffs and where they apply (organisation-wide, a site, DC stations).

Prices are made up but shaped like published ones: Dutch public charging with an off-peak night rate, a start fee
and an idle fee on fast chargers after a grace period; a US workplace price per kWh plus per charging hour, whose
sales taxes come from the stations' billing profiles, not from OCPI VAT.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from ..tariffs.store import assign, save_tariff
from .network import PRIVATE_ORG, PUBLIC_ORG, STATIONS

_UPDATED = "2023-01-01T00:00:00Z"
_OFF_PEAK = {"start_time": "23:00", "end_time": "07:00"}  # crosses midnight, in the site's local time


def _ocpi(party: str, country: str, tariff_id: str, currency: str, elements: list[dict], text: str) -> dict:
    return {"country_code": country, "party_id": party, "id": tariff_id, "currency": currency, "type": "REGULAR",
            "tariff_alt_text": [{"language": "en", "text": text}], "elements": elements, "last_updated": _UPDATED}


def _c(kind: str, price: str, step: int, vat: str | None) -> dict[str, Any]:
    # Decimal, so the stored OCPI JSON carries the exact numbers (a string price is not OCPI)
    return {"type": kind, "price": Decimal(price), "step_size": step,
            **({"vat": Decimal(vat)} if vat is not None else {})}


def _nl(tariff_id: str, day: str, night: str, vat: str, text: str, idle: str | None = None) -> dict:
    # The start fee sits alone in the first element so it is charged once whatever window the session starts in.
    elements = [{"price_components": [_c("FLAT", "0.35", 1, vat)]},
                {"price_components": [_c("ENERGY", night, 1, vat)], "restrictions": dict(_OFF_PEAK)},
                {"price_components": [_c("ENERGY", day, 1, vat)]}]
    if idle:  # OCPI has no grace period: min_duration keeps the idle fee off the first 45 minutes of a session
        elements.append({"price_components": [_c("PARKING_TIME", idle, 60, vat)],
                         "restrictions": {"min_duration": 2700}})
    return _ocpi("VPL", "NL", tariff_id, "EUR", elements, text)


def _us(tariff_id: str, per_kwh: str, per_hour: str, text: str) -> dict:
    return _ocpi("CCI", "US", tariff_id, "USD",
                 [{"price_components": [_c("ENERGY", per_kwh, 1, None), _c("TIME", per_hour, 60, None)]}], text)


# (tariff, scope, scope ids): the most specific assignment wins for a session.
TARIFFS = (
    (PUBLIC_ORG, _nl("VPL-AC-2023", "0.39", "0.29", "21", "EUR 0.39/kWh, 23:00-07:00 EUR 0.29/kWh, start EUR 0.35"),
     "organisation", (PUBLIC_ORG,)),
    (PUBLIC_ORG, _nl("VPL-DC-2023", "0.59", "0.49", "21", "Fast: EUR 0.59/kWh (night 0.49), start EUR 0.35, "
                     "idle EUR 12/h after 45 min", idle="12.00"),
     "station", tuple(s.station_id for s in STATIONS
                      if s.kind.startswith("dc") and s.site_id in ("VOLTNL-AMS", "VOLTNL-UTR"))),
    (PUBLIC_ORG, _nl("VPL-PT-2023", "0.36", "0.27", "23", "Lisboa: EUR 0.36/kWh, night 0.27, start EUR 0.35 "
                     "(IVA 23%)"), "site", ("VOLTNL-LIS",)),
    (PRIVATE_ORG, _us("CCI-WORK-2023", "0.32", "1.20", "USD 0.32/kWh + USD 1.20/charging hour"),
     "organisation", (PRIVATE_ORG,)),
    (PRIVATE_ORG, _us("CCI-BOS-2023", "0.36", "1.50", "Boston: USD 0.36/kWh + USD 1.50/charging hour"),
     "site", ("CAMPUSUS-BOS",)),
)


def add_tariffs(engine: Engine, valid_from: datetime) -> None:
    """Store the tariffs and assign them from `valid_from` (before the first demo session) with no end."""
    for organisation, ocpi, scope, scope_ids in TARIFFS:
        stored = save_tariff(engine, organisation, ocpi, now=valid_from)
        for scope_id in scope_ids:
            assign(engine, stored.tariff_id, scope, scope_id, valid_from=valid_from)
