"""A simulated charger's configuration: 1.6 keys and 2.0.1 component variables, with the types and read-only
keys real chargers have, so GetConfiguration/ChangeConfiguration and GetVariables/SetVariables answer as they do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Setting:
    value: str
    kind: str = "string"  # integer, boolean, string (a comma-separated list is a string here)
    readonly: bool = False

    def accepts(self, value: str) -> bool:
        if self.kind == "integer":
            return value.strip().lstrip("-").isdigit()
        if self.kind == "boolean":
            return value.strip().lower() in ("true", "false")
        return len(value) <= 500


def _keys16() -> dict[str, Setting]:
    integer, boolean = "integer", "boolean"
    return {
        "HeartbeatInterval": Setting("300", integer),
        "MeterValueSampleInterval": Setting("60", integer),
        "MeterValuesSampledData": Setting("Energy.Active.Import.Register,Power.Active.Import,Current.Import,"
                                          "Voltage,SoC"),
        "ClockAlignedDataInterval": Setting("900", integer),
        "ConnectionTimeOut": Setting("90", integer),
        "NumberOfConnectors": Setting("1", integer, readonly=True),
        "AuthorizeRemoteTxRequests": Setting("false", boolean),
        "LocalAuthorizeOffline": Setting("true", boolean),
        "LocalPreAuthorize": Setting("false", boolean),
        "LocalAuthListEnabled": Setting("true", boolean),
        "LocalAuthListMaxLength": Setting("100", integer, readonly=True),
        "SendLocalListMaxLength": Setting("20", integer, readonly=True),
        "StopTransactionOnEVSideDisconnect": Setting("true", boolean),
        "UnlockConnectorOnEVSideDisconnect": Setting("true", boolean),
        "ResetRetries": Setting("3", integer),
        "TransactionMessageAttempts": Setting("3", integer),
        "TransactionMessageRetryInterval": Setting("60", integer),
        "WebSocketPingInterval": Setting("60", integer),
        "ChargeProfileMaxStackLevel": Setting("8", integer, readonly=True),
        "SupportedFeatureProfiles": Setting("Core,FirmwareManagement,LocalAuthListManagement,Reservation,"
                                            "SmartCharging,RemoteTrigger", readonly=True),
    }


def _variables201() -> dict[tuple[str, str], Setting]:
    integer, boolean = "integer", "boolean"
    return {
        ("ChargingStation", "Model"): Setting("SimCharger", readonly=True),
        ("ChargingStation", "VendorName"): Setting("ChargeLedger", readonly=True),
        ("ChargingStation", "AvailabilityState"): Setting("Available", readonly=True),
        ("OCPPCommCtrlr", "HeartbeatInterval"): Setting("300", integer),
        ("OCPPCommCtrlr", "WebSocketPingInterval"): Setting("60", integer),
        ("OCPPCommCtrlr", "MessageAttempts"): Setting("3", integer),
        ("SampledDataCtrlr", "TxUpdatedInterval"): Setting("60", integer),
        ("SampledDataCtrlr", "TxUpdatedMeasurands"): Setting("Energy.Active.Import.Register,Power.Active.Import,"
                                                             "Current.Import,Voltage,SoC"),
        ("AlignedDataCtrlr", "Interval"): Setting("900", integer),
        ("AuthCtrlr", "AuthorizeRemoteStart"): Setting("false", boolean),
        ("AuthCtrlr", "LocalAuthorizeOffline"): Setting("true", boolean),
        ("LocalAuthListCtrlr", "Enabled"): Setting("true", boolean),
        ("LocalAuthListCtrlr", "ItemsPerMessage"): Setting("20", integer, readonly=True),
        ("TxCtrlr", "EVConnectionTimeOut"): Setting("90", integer),
        ("TxCtrlr", "StopTxOnEVSideDisconnect"): Setting("true", boolean),
        ("TxCtrlr", "TxStartPoint"): Setting("EVConnected,Authorized"),
        ("TxCtrlr", "TxStopPoint"): Setting("EVConnected,Authorized"),
        ("SmartChargingCtrlr", "Enabled"): Setting("true", boolean),
        ("ReservationCtrlr", "Enabled"): Setting("true", boolean),
    }


class Configuration16:
    def __init__(self):
        self.keys = _keys16()

    def get(self, names: list[str] | None) -> tuple[list[dict], list[str]]:
        wanted = names or list(self.keys)
        known = [{"key": n, "readonly": self.keys[n].readonly, "value": self.keys[n].value}
                 for n in wanted if n in self.keys]
        return known, [n for n in wanted if n not in self.keys]

    def change(self, name: str, value: str) -> str:
        setting = self.keys.get(name)
        if setting is None:
            return "NotSupported"
        if setting.readonly or not setting.accepts(value):
            return "Rejected"
        setting.value = value.strip() if setting.kind != "string" else value
        return "Accepted"


class Variables201:
    def __init__(self):
        self.values = _variables201()

    def _find(self, component: dict, variable: dict) -> tuple[Setting | None, str | None]:
        name = component.get("name")
        if not any(c == name for c, _ in self.values):
            return None, "UnknownComponent"
        setting = self.values.get((name, variable.get("name")))
        return setting, None if setting is not None else "UnknownVariable"

    def get(self, item: dict) -> dict:
        component, variable = item["component"], item["variable"]
        answer = {"component": component, "variable": variable}
        if (item.get("attribute_type") or "Actual") != "Actual":
            return {**answer, "attribute_status": "NotSupportedAttributeType"}
        setting, refused = self._find(component, variable)
        if refused:
            return {**answer, "attribute_status": refused}
        return {**answer, "attribute_status": "Accepted", "attribute_type": "Actual", "attribute_value": setting.value}

    def set(self, item: dict) -> dict:
        component, variable = item["component"], item["variable"]
        answer = {"component": component, "variable": variable, "attribute_type": "Actual"}
        if (item.get("attribute_type") or "Actual") != "Actual":
            return {**answer, "attribute_status": "NotSupportedAttributeType"}
        setting, refused = self._find(component, variable)
        if refused:
            return {**answer, "attribute_status": refused}
        value = str(item["attribute_value"])
        if setting.readonly or not setting.accepts(value):
            return {**answer, "attribute_status": "Rejected"}
        setting.value = value
        return {**answer, "attribute_status": "Accepted"}

    def report(self) -> list[dict]:
        """NotifyReport's reportData for a GetBaseReport (FullInventory or ConfigurationInventory)."""
        return [{"component": {"name": c}, "variable": {"name": v},
                 "variable_attribute": [{"type": "Actual", "value": s.value,
                                         "mutability": "ReadOnly" if s.readonly else "ReadWrite"}],
                 "variable_characteristics": {"data_type": s.kind if s.kind != "string" else "string",
                                              "supports_monitoring": False}}
                for (c, v), s in self.values.items()]
