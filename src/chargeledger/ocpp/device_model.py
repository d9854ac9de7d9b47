"""A 2.0.1 station's device model as it reports it: NotifyReport (after GetBaseReport/GetReport), and the answers
to our GetVariables and SetVariables. Stored per component, variable and attribute type; newest wins.

Payloads arrive in the ocpp library's snake_case. A value the station refused to give or set changes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from ..storage.tables import station_variables
from ..storage.upsert import upsert
from .station_secrets import HIDDEN, is_secret

_KEYS = ["station_id", "component", "component_instance", "evse", "connector", "variable", "variable_instance",
         "attribute_type"]
_SET = ("Accepted", "RebootRequired")  # SetVariables statuses after which the station holds the new value
def _address(station_id: str, component: dict, variable: dict, attribute_type: str | None) -> dict:
    evse = component.get("evse") or {}
    return {"station_id": station_id, "component": component["name"],
            "component_instance": component.get("instance") or "", "evse": evse.get("id") or 0,
            "connector": evse.get("connector_id") or 0, "variable": variable["name"],
            "variable_instance": variable.get("instance") or "", "attribute_type": attribute_type or "Actual"}


def _row(station_id, component, variable, attribute_type, value, source, at, **more) -> dict:
    if value is not None and is_secret(component, variable):
        value = HIDDEN
    return {**_address(station_id, component, variable, attribute_type), "value": value, "source": source,
            "updated_at": at, "mutability": more.get("mutability"), "characteristics": more.get("characteristics")}


def reported(station_id: str, report_data: list[dict], at: datetime) -> list[dict]:
    """Rows of one NotifyReport part."""
    rows = []
    for item in report_data or []:
        for attribute in item.get("variable_attribute") or []:
            rows.append(_row(station_id, item["component"], item["variable"], attribute.get("type"),
                             attribute.get("value"), "NotifyReport", at, mutability=attribute.get("mutability"),
                             characteristics=item.get("variable_characteristics")))
    return rows


def got(station_id: str, results: list[dict], at: datetime) -> list[dict]:
    """Rows of a GetVariables answer: only the values the station gave."""
    return [_row(station_id, r["component"], r["variable"], r.get("attribute_type"), r.get("attribute_value"),
                 "GetVariables", at) for r in results or [] if r.get("attribute_status") == "Accepted"]


def were_set(station_id: str, asked: list[dict], results: list[dict], at: datetime) -> list[dict]:
    """Rows of a SetVariables answer: the values we sent that the station took."""
    values = {tuple(_address(station_id, a["component"], a["variable"], a.get("attribute_type")).values()):
              a["attribute_value"] for a in asked or []}
    rows = []
    for result in results or []:
        address = _address(station_id, result["component"], result["variable"], result.get("attribute_type"))
        value = values.get(tuple(address.values()))
        if result.get("attribute_status") in _SET and value is not None:
            rows.append(_row(station_id, result["component"], result["variable"], result.get("attribute_type"),
                             value, "SetVariables", at))
    return rows


def store(engine: Engine, rows: list[dict]) -> None:
    """Newest wins, but a GetVariables/SetVariables row keeps what the report said about mutability and limits."""
    if not rows:
        return
    with engine.begin() as conn:
        known = {}
        if any(r["source"] != "NotifyReport" for r in rows):
            for row in conn.execute(select(station_variables).where(
                    station_variables.c.station_id == rows[0]["station_id"])).mappings():
                known[tuple(row[k] for k in _KEYS)] = row
        for row in rows:
            before = known.get(tuple(row[k] for k in _KEYS))
            if before is not None and row["source"] != "NotifyReport":
                row["mutability"], row["characteristics"] = before["mutability"], before["characteristics"]
        upsert(conn, station_variables, rows, _KEYS)


def device_model(engine: Engine, station_id: str, component: str | None = None) -> list[dict]:
    query = select(station_variables).where(station_variables.c.station_id == station_id)
    if component:
        query = query.where(station_variables.c.component == component)
    order = [station_variables.c[k] for k in _KEYS[1:]]
    with engine.connect() as conn:
        return [{k: v for k, v in row.items() if k != "station_id"}
                for row in conn.execute(query.order_by(*order)).mappings()]
