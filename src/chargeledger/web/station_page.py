"""What the station page shows beyond the station itself: what it reported (connectors, configuration or device
model, firmware, diagnostics and their files, security events) and what it holds by our commands (registration,
local list, reservations, charging profiles). Read from the OCPP adapter's stores; without that adapter the page
shows the station alone."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Engine

from ..adapters import installed

_CONFIGURATION_ROWS = 200  # the page shows the first ones; the API has them all


def _setting_name(v: dict) -> str:
    """OCPPCommCtrlr.HeartbeatInterval; EVSE.Power (EVSE 1); Connector.Type (EVSE 1, connector 2)."""
    name = ".".join(p for p in (v["component"], v["component_instance"], v["variable"], v["variable_instance"]) if p)
    if not v["evse"]:
        return name
    where = f"EVSE {v['evse']}" + (f", connector {v['connector']}" if v["connector"] else "")
    return f"{name} ({where})"


def station_details(engine: Engine, station: dict) -> dict:
    if not installed(("chargeledger.ocpp.station_state",)):
        return {}
    from ..ocpp import (charging_profiles, configuration, device_model, installed_certificates, local_list,
                        reservations, security_log, security_profile, station_files, station_state)
    from ..pki import issued
    station_id, now = station["id"], datetime.now(timezone.utc)
    if station.get("ocpp_version") == "2.0.1":
        settings = [{"name": _setting_name(v), "value": v["value"], "type": v["attribute_type"],
                     "writable": v["mutability"] in ("ReadWrite", "WriteOnly")}
                    for v in device_model.device_model(engine, station_id)]
    else:
        settings = [{"name": row["key"], "value": row["value"], "writable": not row["readonly"], "type": "Actual"}
                    for row in configuration.configuration_of(engine, station_id)]
    held = local_list.holding(engine, station_id)
    profiles = charging_profiles.of_station(engine, station_id)
    return {
        "settings": settings[:_CONFIGURATION_ROWS], "settings_total": len(settings),
        "firmware": station_state.recall(engine, station_id, station_files.FIRMWARE),
        "diagnostics": station_state.recall(engine, station_id, station_files.DIAGNOSTICS),
        "files": station_files.files_of(engine, station_id)[:10],
        "local_list": {"version": held.get("version", 0), "reported_version": held.get("reported_version"),
                       "tokens": len(held.get("tokens") or {}), "sent_at": held.get("sent_at")},
        "reservations": reservations.of_station(engine, station_id, now, limit=10),
        "charging_profiles": profiles["profiles"], "composite_schedule": profiles["composite_schedule"],
        "security_events": security_log.of_station(engine, station_id, limit=10),
        "certificates": {
            "issued": issued.of_station(engine, station_id)[:10],
            "held": (station_state.recall(engine, station_id, installed_certificates.TOPIC)
                     or {"certificates": []})["certificates"],
            "profile": security_profile.minimum(engine, station_id),
            "upgrade": station_state.recall(engine, station_id, security_profile.UPGRADE)},
    }
