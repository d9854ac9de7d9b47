"""The operator's tariffs as OCPI 2.2.1 Tariff objects (the newest version of each), for one partner."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from ..tariffs import store
from .numbers import wire
from .objects.tariffs import Tariff
from .partners import Partner


def tariff_object(partner: Partner, stored: store.StoredTariff) -> dict[str, Any]:
    """The stored OCPI tariff under our party, its version's time as last_updated, numbers as OCPI numbers."""
    tariff = {**stored.ocpi, "country_code": partner.our_country_code, "party_id": partner.our_party_id,
              "last_updated": stored.created_at}
    Tariff.model_validate(tariff)
    return wire(tariff)


def tariffs(engine: Engine, partner: Partner) -> list[dict[str, Any]]:
    """What the partner may pull: every tariff of the operator but those withdrawn (it was sent their DELETE)."""
    return [tariff_object(partner, t) for t in store.list_tariffs(engine, {partner.organisation_id})
            if t.withdrawn_at is None]
