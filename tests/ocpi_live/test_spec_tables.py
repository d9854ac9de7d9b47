"""The pydantic models of sessions, CDRs and tariffs against the 2.2.1 spec's own tables: each object's fields, and
which are required (cardinality 1 or +), read from the module texts. A field added, dropped or made optional by
mistake fails here."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from chargeledger.ocpi.objects import sessions, tariffs
from chargeledger.ocpi.models import OcpiModel

# not CHARGELEDGER_OCPI_…: that prefix is the settings object's `ocpi` section, which refuses names it does not know
SPEC = Path(os.environ.get("OCPI_SPEC_DIR", "/work/shared/data/ocpi/spec"))
# anchor in the spec -> our model
MODELS = {
    ("sessions", "mod_sessions_session_object"): sessions.Session,
    ("sessions", "mod_sessions_charging_preferences_object"): sessions.ChargingPreferences,
    ("cdrs", "mod_cdrs_cdr_object"): sessions.Cdr,
    ("cdrs", "mod_cdrs_cdr_token_object"): sessions.CdrToken,
    ("cdrs", "mod_cdrs_cdr_location_class"): sessions.CdrLocation,
    ("cdrs", "mod_cdrs_chargingperiod_class"): sessions.ChargingPeriod,
    ("cdrs", "mod_cdrs_cdrdimension_class"): sessions.CdrDimension,
    ("tariffs", "mod_tariffs_tariff_object"): tariffs.Tariff,
    ("tariffs", "mod_tariffs_tariffelement_class"): tariffs.TariffElement,
    ("tariffs", "mod_tariffs_pricecomponent_class"): tariffs.PriceComponent,
    ("tariffs", "mod_tariffs_tariffrestrictions_class"): tariffs.TariffRestrictions,
}
# fields of the spec we do not model (never produced, dropped on the way in): each with its reason
NOT_MODELLED = {
    "Cdr": {"signed_data"},  # no signed meter data from the chargers we support
    "Tariff": set(),
}


def spec_table(module: str, anchor: str) -> dict[str, str]:
    """{field: cardinality} of the first table after the anchor."""
    text = (SPEC / f"2.2.1_mod_{module}.asciidoc").read_text()
    after = text[text.index(f"[[{anchor}]]"):]
    table = after.split("|===", 2)[1]
    fields = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.split("|")[1:]]
        if len(cells) >= 3 and re.fullmatch(r"[a-z_]+", cells[0]) and cells[2] in ("1", "?", "*", "+"):
            fields[cells[0]] = cells[2]
    return fields


@pytest.mark.skipif(not SPEC.exists(), reason=f"the OCPI spec texts are not at {SPEC}")
@pytest.mark.parametrize(("module", "anchor"), list(MODELS))
def test_models_follow_the_spec_tables(module: str, anchor: str):
    model: type[OcpiModel] = MODELS[(module, anchor)]
    table = spec_table(module, anchor)
    assert table, f"no table found after [[{anchor}]]"
    ours = model.model_fields
    assert set(ours) == set(table) - NOT_MODELLED.get(model.__name__, set()), model.__name__
    for name, field in ours.items():
        assert field.is_required() == (table[name] in ("1", "+")), f"{model.__name__}.{name}: {table[name]}"
