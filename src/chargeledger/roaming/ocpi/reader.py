"""Reading partner OCPI 2.2.1 CDR objects (JSON lines or one JSON array) into the shape every importer uses."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Iterator

from ..eviolin.reader import PartnerCdr, RowError, moment


def read(lines: list[str]) -> Iterator[tuple[int, PartnerCdr | RowError]]:
    text = "".join(lines).strip()
    if text.startswith("["):
        try:
            items = [(index + 1, item) for index, item in enumerate(json.loads(text))]
        except json.JSONDecodeError as error:
            raise RowError(f"the file is not JSON: {error}") from None
    else:
        items = []
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    items.append((number, json.loads(line)))
                except json.JSONDecodeError as error:
                    items.append((number, RowError(f"not a JSON object: {error.msg}")))
    for number, item in items:
        if isinstance(item, RowError):
            yield number, item
            continue
        try:
            yield number, _cdr(item)
        except RowError as error:
            yield number, error
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            yield number, RowError(f"missing or invalid field: {error}")


def _cdr(item: dict) -> PartnerCdr:
    if item.get("credit"):
        raise RowError("credit CDRs are not imported as sessions")
    token, location = item["cdr_token"], item["cdr_location"]
    start, end = moment(item["start_date_time"], "start_date_time"), moment(item["end_date_time"], "end_date_time")
    if end < start:
        raise RowError("end_date_time is before start_date_time")
    cost = (item.get("total_cost") or {}).get("excl_vat")
    return PartnerCdr(str(item["id"]), start, end, Decimal(str(item["total_energy"])), location["evse_id"],
                      token.get("uid"), token.get("contract_id"),
                      f"{token.get('country_code')}-{token.get('party_id')}" if token.get("party_id") else None,
                      f"{item.get('country_code')}*{item.get('party_id')}" if item.get("party_id") else None,
                      Decimal(str(cost)) if cost is not None else None)
