"""What the back office keeps of a 2.0.1 command once the station answered it, per command: the device model,
the local list, reservations, charging profiles, schedules and the state of uploads. Each gets the request (the
library's dataclass), the answer (snake_case) and who asked, and writes on the gateway's writer thread."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Callable

from sqlalchemy import Engine

from ...directory import registry
from .. import (certificate_signing, charging_profiles, commands, device_model, installed_certificates, local_list,
               remote_starts, reservations, station_files, station_secrets, station_state)
from ..times import read_time

Effect = Callable[[Engine, object, dict, dict, dict], None]  # engine, station, request, answer, context
_EFFECTS: dict[str, Effect] = {}
_BEFORE: dict[str, Effect] = {}  # noted before sending: the station may act on a command before it answers
VERSION = "2.0.1"


def effect(name: str, before: bool = False):
    def register(fn: Effect) -> Effect:
        (_BEFORE if before else _EFFECTS)[name] = fn
        return fn
    return register


def prepare(engine: Engine, station, request, source: str, by: str | None, at: datetime) -> None:
    fn = _BEFORE.get(type(request).__name__)
    if fn is not None:
        fn(engine, station, asdict(request), {}, {"source": source, "by": by, "at": at})


def apply(engine: Engine, station, request, answer: dict, source: str, by: str | None, at: datetime) -> None:
    fn = _EFFECTS.get(type(request).__name__)
    if fn is not None:
        fn(engine, station, asdict(request), answer, {"source": source, "by": by, "at": at})


def _accepted(answer: dict) -> bool:
    return answer.get("status") == "Accepted"


def _new_password(request: dict) -> str | None:
    for item in request.get("set_variable_data") or []:
        if station_secrets.is_secret(item["component"], item["variable"]):
            return item["attribute_value"]
    return None


@effect("SetVariables", before=True)
def _password_checked(engine, station, request, answer, ctx):
    """A new BasicAuthPassword must be one we would accept (A01): refused before the station takes it."""
    password = _new_password(request)
    if password is not None:
        try:
            registry.check_station_password(password)
        except registry.RegistryError as exc:
            raise commands.BadCommand(str(exc)) from None


@effect("GetVariables")
def _got(engine, station, request, answer, ctx):
    device_model.store(engine, device_model.got(station.id, answer.get("get_variable_result"), ctx["at"]))


@effect("SetVariables")
def _set(engine, station, request, answer, ctx):
    rows = device_model.were_set(station.id, request["set_variable_data"], answer.get("set_variable_result"),
                                 ctx["at"])
    device_model.store(engine, rows)
    password = _new_password(request)
    if password is not None and any(station_secrets.is_secret({"name": r["component"]}, {"name": r["variable"]})
                                    for r in rows):
        # the station took its new password (A01, TC_A_09): from its next connection only that one is valid
        registry.set_station_password(engine, station.id, password)


@effect("SendLocalList")
def _list_sent(engine, station, request, answer, ctx):
    if _accepted(answer):
        local_list.accepted(engine, station.id, VERSION, request, ctx["at"])


@effect("GetLocalListVersion")
def _list_version(engine, station, request, answer, ctx):
    local_list.reported(engine, station.id, answer["version_number"], ctx["at"])


@effect("RequestStartTransaction", before=True)
def _remote_start(engine, station, request, answer, ctx):
    remote_starts.remember(engine, station.id, request["remote_start_id"], ctx["source"], ctx["by"], ctx["at"])
    if request.get("charging_profile"):  # K05: a TxProfile for the transaction about to start; the station may
        # start it before its answer reaches us, so the profile is held from now and bound when it starts
        charging_profiles.accepted(engine, station.id, request.get("evse_id") or 0, request["charging_profile"],
                                   ctx["at"])


@effect("RequestStartTransaction")
def _remote_start_answered(engine, station, request, answer, ctx):
    if request.get("charging_profile") and not _accepted(answer):
        charging_profiles.not_taken(engine, station.id, request["charging_profile"]["id"])


@effect("ReserveNow")
def _reserved(engine, station, request, answer, ctx):
    reservations.answered(engine, station.id, request["id"], request.get("evse_id") or 0,
                          request["id_token"]["id_token"], (request.get("group_id_token") or {}).get("id_token"),
                          read_time(request["expiry_date_time"]), answer["status"], ctx["at"])


@effect("CancelReservation")
def _cancelled(engine, station, request, answer, ctx):
    if _accepted(answer):
        reservations.cancelled(engine, station.id, request["reservation_id"], ctx["at"])


@effect("SetChargingProfile")
def _profile_set(engine, station, request, answer, ctx):
    if _accepted(answer):
        charging_profiles.accepted(engine, station.id, request["evse_id"], request["charging_profile"], ctx["at"])


@effect("ClearChargingProfile")
def _profile_cleared(engine, station, request, answer, ctx):
    if _accepted(answer):
        criteria = request.get("charging_profile_criteria") or {}
        charging_profiles.cleared(engine, station.id, request.get("charging_profile_id"), criteria.get("evse_id"),
                                  criteria.get("charging_profile_purpose"), criteria.get("stack_level"))


@effect("GetCompositeSchedule")
def _composite(engine, station, request, answer, ctx):
    charging_profiles.composite_reported(engine, station.id, request["evse_id"], answer, ctx["at"])


@effect("SetNetworkProfile")
def _network_profile(engine, station, request, answer, ctx):
    """The slot's connection data as asked and the station's answer (B09: Accepted, Rejected, Failed), without the
    VPN and APN passwords: the operator sees what the station was told, not its secrets."""
    data = dict(request["connection_data"])
    for part, secret in (("vpn", "password"), ("apn", "apn_password")):
        if data.get(part):
            data[part] = {k: v for k, v in data[part].items() if k != secret and v is not None}
    station_state.remember(engine, station.id, f"network_profile:{request['configuration_slot']}", {
        "connection_data": data, "status": answer.get("status"), "asked_at": ctx["at"].isoformat(),
        "asked_by": ctx["by"]}, ctx["at"])


@effect("UpdateFirmware")
def _firmware_asked(engine, station, request, answer, ctx):
    station_files.remember(engine, station.id, station_files.FIRMWARE, {
        "request_id": request["request_id"], "location": request["firmware"]["location"],
        "answer": answer["status"], "asked_at": ctx["at"].isoformat(), "asked_by": ctx["by"]}, ctx["at"])


@effect("GetLog")
def _log_asked(engine, station, request, answer, ctx):
    station_files.remember(engine, station.id, station_files.DIAGNOSTICS, {
        "request_id": request["request_id"], "log_type": request["log_type"], "answer": answer["status"],
        "file_name": answer.get("filename"), "asked_at": ctx["at"].isoformat(), "asked_by": ctx["by"]}, ctx["at"])


@effect("GetInstalledCertificateIds")
def _certificates(engine, station, request, answer, ctx):
    if answer.get("status") in ("Accepted", "NotFound"):
        installed_certificates.listed(engine, station.id, request.get("certificate_type"),
                                      answer.get("certificate_hash_data_chain") or [], ctx["at"])


@effect("DeleteCertificate")
def _certificate_deleted(engine, station, request, answer, ctx):
    if _accepted(answer):
        installed_certificates.deleted(engine, station.id, request["certificate_hash_data"], ctx["at"])


@effect("InstallCertificate")
def _certificate_installed(engine, station, request, answer, ctx):
    installed_certificates.installed(engine, station.id, request["certificate_type"], request["certificate"],
                                     answer["status"], ctx["at"], ctx["by"])


@effect("CertificateSigned")
def _certificate_signed(engine, station, request, answer, ctx):
    certificate_signing.answered(engine, station.id, request["certificate_chain"], answer.get("status"), ctx["at"])
