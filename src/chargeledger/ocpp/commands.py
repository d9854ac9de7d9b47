"""Remote commands (server -> charger) by name, per protocol version, and the ways they can fail."""

from __future__ import annotations

from ocpp.charge_point import camel_to_snake_case, remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import OCPPError
from ocpp.messages import Call
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from .schema_check import validate

ALLOWED = {
    "1.6": ("RemoteStartTransaction", "RemoteStopTransaction", "TriggerMessage", "ChangeAvailability", "Reset",
            "UnlockConnector", "GetConfiguration", "ChangeConfiguration", "ClearCache", "DataTransfer",
            "GetLocalListVersion", "SendLocalList", "ReserveNow", "CancelReservation", "SetChargingProfile",
            "ClearChargingProfile", "GetCompositeSchedule", "UpdateFirmware", "GetDiagnostics",
            # the security extension (OCPP 1.6 security whitepaper)
            "ExtendedTriggerMessage", "GetLog", "SignedUpdateFirmware", "InstallCertificate", "DeleteCertificate",
            "GetInstalledCertificateIds", "CertificateSigned"),
    # every message the CSMS may send in 2.0.1, by functional block
    "2.0.1": ("RequestStartTransaction", "RequestStopTransaction", "GetTransactionStatus", "TriggerMessage",
              "ChangeAvailability", "Reset", "UnlockConnector",  # transactions, availability, remote control
              "GetVariables", "SetVariables", "GetBaseReport", "GetReport", "SetNetworkProfile",  # provisioning
              "SendLocalList", "GetLocalListVersion", "ClearCache",  # authorization
              "ReserveNow", "CancelReservation",  # reservation
              "SetChargingProfile", "GetChargingProfiles", "ClearChargingProfile", "GetCompositeSchedule",
              "UpdateFirmware", "PublishFirmware", "UnpublishFirmware",  # firmware
              "GetLog", "GetMonitoringReport", "SetMonitoringBase", "SetMonitoringLevel", "SetVariableMonitoring",
              "ClearVariableMonitoring", "CustomerInformation",  # diagnostics
              "InstallCertificate", "GetInstalledCertificateIds", "DeleteCertificate", "CertificateSigned",
              "SetDisplayMessage", "GetDisplayMessages", "ClearDisplayMessage", "CostUpdated", "DataTransfer"),
}
_MODULES = {"1.6": call16, "2.0.1": call201}


class CommandFailed(Exception):
    """Base of command failures; `http_status` is what the API answers."""

    http_status = 409


class StationOffline(CommandFailed):
    pass


class CommandTimeout(CommandFailed):
    http_status = 504


class CommandRejected(CommandFailed):
    pass


class BadCommand(CommandFailed):
    http_status = 400


class ChargerError(CommandFailed):
    """The charger answered with a CallError."""

    http_status = 502


def build(version: str, name: str, payload: dict):
    if name not in ALLOWED[version]:
        raise BadCommand(f"{name} is not a command for OCPP {version}; choose from {', '.join(ALLOWED[version])}")
    cls = getattr(_MODULES[version], name)
    if not isinstance(payload, dict):
        raise BadCommand("the body must be a JSON object: the command's payload")
    try:
        request = cls(**camel_to_snake_case(payload))
    except TypeError as exc:
        raise BadCommand(f"{name} payload: {exc}") from None
    try:  # checked here, so a bad payload is the caller's 400, not the charger's fault
        validate(Call("check", name, remove_nones(snake_to_camel_case(serialize_as_dict(request)))),
                          version)
    except OCPPError as exc:
        raise BadCommand(f"{name} payload: {exc.description}: {exc.details or ''}".rstrip(": ")) from None
    return request
