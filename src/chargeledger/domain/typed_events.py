"""Typed ledger events: one frozen class per event kind, with a version, instead of an enum plus a dict.

Stored in the existing payload column as the class's fields plus `_v` (its version); the kind is the row's own
column. Version 1 is the untyped dict written before these classes existed (no `_v`); reading any stored payload
goes through `upcast`, so old rows come back as the current class. Money is Decimal, times are aware datetimes,
and keys a class does not name are kept in `extra` (written by a newer version, or by the demo's richer payloads),
so reading and writing back loses nothing. Pure: no storage here (ledger/store.py does the writing).
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Mapping

from .events import EventKind

VERSION_KEY = "_v"
REGISTRY: dict[EventKind, type["LedgerEvent"]] = {}


@dataclass(frozen=True)
class LedgerEvent:
    kind: ClassVar[EventKind]
    version: ClassVar[int] = 2
    extra: Mapping[str, Any] = field(default_factory=dict, kw_only=True)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            REGISTRY[cls.kind] = cls

    @classmethod
    def upcast(cls, payload: dict[str, Any], version: int) -> dict[str, Any]:
        """Bring an older version's payload to this version's keys. Version 1 used the same keys, untyped."""
        return payload

    def to_payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {VERSION_KEY: self.version, **{k: _plain(v) for k, v in self.extra.items()}}
        for f in dataclasses.fields(self):
            if f.name != "extra":
                value = getattr(self, f.name)
                if value is not None:
                    out[f.name] = _plain(value)
        return out

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any] | None) -> "LedgerEvent":
        data = dict(payload or {})
        version = int(data.pop(VERSION_KEY, 1))
        if version > cls.version:
            raise ValueError(f"{cls.kind.value} version {version} is newer than this code's {cls.version}")
        data = cls.upcast(data, version)
        hints, names = _shape(cls)
        known = {k: _typed(hints[k], v) for k, v in data.items() if k in names}
        return cls(**known, extra={k: v for k, v in data.items() if k not in names})


@functools.cache
def _shape(cls: type) -> tuple[dict[str, Any], frozenset[str]]:
    """A class's field types and names, worked out once (every stored event passes through here)."""
    return typing.get_type_hints(cls), frozenset(f.name for f in dataclasses.fields(cls)) - {"extra"}


def stored_form(kind: EventKind | str, payload: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the ledger stores for an event: its class's current version, whatever form the writer used."""
    if payload and VERSION_KEY in payload:
        return dict(payload)
    return typed_from_fields(kind, payload or {}).to_payload()


def typed(kind: EventKind | str, payload: Mapping[str, Any] | None) -> LedgerEvent:
    return REGISTRY[EventKind(kind)].from_payload(payload)


def typed_from_fields(kind: EventKind | str, fields: Mapping[str, Any]) -> LedgerEvent:
    """The current version of `kind` from keyword fields, as a writer has them (unknown ones kept in `extra`)."""
    return typed(kind, {**fields, VERSION_KEY: REGISTRY[EventKind(kind)].version})


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _typed(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    wanted = {a for a in typing.get_args(hint)} or {hint}
    if Decimal in wanted and not isinstance(value, Decimal):
        return Decimal(str(value))
    if datetime in wanted and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


# -- one class per kind ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionCreated(LedgerEvent):
    kind = EventKind.SESSION_CREATED
    station_id: str | None = None
    evse_id: str | None = None
    connector_id: int | None = None


@dataclass(frozen=True)
class PluggedIn(LedgerEvent):
    kind = EventKind.PLUGGED_IN
    transaction_id: str | None = None


@dataclass(frozen=True)
class Authorized(LedgerEvent):
    kind = EventKind.AUTHORIZED
    id_token: str | None = None
    token_type: str | None = None
    contract_id: str | None = None
    driver_id: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class StartRequested(LedgerEvent):
    kind = EventKind.START_REQUESTED
    by: str | None = None
    id_token: str | None = None


@dataclass(frozen=True)
class TransactionStarted(LedgerEvent):
    kind = EventKind.TRANSACTION_STARTED
    transaction_id: str | None = None
    meter_start_wh: float | None = None
    id_token: str | None = None
    token_type: str | None = None
    start_source_raw: str | None = None


@dataclass(frozen=True)
class ChargingStateChanged(LedgerEvent):
    kind = EventKind.CHARGING_STATE_CHANGED
    state: str | None = None


@dataclass(frozen=True)
class StopRequested(LedgerEvent):
    kind = EventKind.STOP_REQUESTED
    by: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class StopRejected(LedgerEvent):
    kind = EventKind.STOP_REJECTED
    reason: str | None = None


@dataclass(frozen=True)
class TransactionStopped(LedgerEvent):
    kind = EventKind.TRANSACTION_STOPPED
    meter_stop_wh: float | None = None
    reason: str | None = None
    transaction_id: str | None = None


@dataclass(frozen=True)
class Unplugged(LedgerEvent):
    kind = EventKind.UNPLUGGED


@dataclass(frozen=True)
class SessionRecorded(LedgerEvent):
    kind = EventKind.SESSION_RECORDED


@dataclass(frozen=True)
class RoamingAttributed(LedgerEvent):
    kind = EventKind.ROAMING_ATTRIBUTED
    network: str | None = None
    operator_id: str | None = None
    provider_id: str | None = None
    roaming_cdr_id: str | None = None
    partner_transaction_id: str | None = None


@dataclass(frozen=True)
class Failed(LedgerEvent):
    kind = EventKind.FAILED
    reason: str | None = None


@dataclass(frozen=True)
class ForceClosed(LedgerEvent):
    kind = EventKind.FORCE_CLOSED
    by: str | None = None
    why: str | None = None
    evidence: str | None = None  # set when the station's own messages showed the session over (closed automatically)


@dataclass(frozen=True)
class SilenceFlagged(LedgerEvent):
    kind = EventKind.SILENCE_FLAGGED
    last_seen: datetime | None = None


@dataclass(frozen=True)
class Settled(LedgerEvent):
    kind = EventKind.SETTLED
    why: str | None = None
    payment: Mapping[str, Any] | None = None  # how the session is paid: method, card_last4, preauth_amount…


@dataclass(frozen=True)
class LateFacts(LedgerEvent):
    kind = EventKind.LATE_FACTS


@dataclass(frozen=True)
class MarkedSimulated(LedgerEvent):
    kind = EventKind.MARKED_SIMULATED
    why: str | None = None


@dataclass(frozen=True)
class CustomFieldsSet(LedgerEvent):
    kind = EventKind.CUSTOM_FIELDS_SET
    fields: Mapping[str, Any] | None = None
    removed: list[str] | None = None
    by: str | None = None


@dataclass(frozen=True)
class FlagResolved(LedgerEvent):
    kind = EventKind.FLAG_RESOLVED
    flag: str | None = None
    reason: str | None = None
    by: str | None = None


@dataclass(frozen=True)
class DriverRated(LedgerEvent):
    kind = EventKind.DRIVER_RATED
    stars: int | None = None
    comment: str | None = None


@dataclass(frozen=True)
class OdometerRead(LedgerEvent):
    kind = EventKind.ODOMETER_READ
    km: float | None = None
    source: str | None = None


@dataclass(frozen=True)
class VehicleSnapshot(LedgerEvent):
    kind = EventKind.VEHICLE_SNAPSHOT
    at: str | None = None  # start | stop
    latitude: float | None = None
    longitude: float | None = None
    soc: float | None = None


@dataclass(frozen=True)
class TariffFrozen(LedgerEvent):
    kind = EventKind.TARIFF_FROZEN


@dataclass(frozen=True)
class Priced(LedgerEvent):
    kind = EventKind.PRICED
    version_number: int | None = None  # the settlement version ("version" in payloads of version 1)
    reason: str | None = None
    currency: str | None = None
    payment_total: Decimal | None = None

    @classmethod
    def upcast(cls, payload: dict[str, Any], version: int) -> dict[str, Any]:
        # `version` named the settlement version, which the event's own version now owns; it stays in the row.
        if "version" in payload:
            payload = {**payload, "version_number": payload["version"]}
        return payload

    def to_payload(self) -> dict[str, Any]:
        out = super().to_payload()
        if self.version_number is not None:
            out["version"] = out.pop("version_number")  # readers of the settlement version keep their key
        return out


@dataclass(frozen=True)
class PaymentRecorded(LedgerEvent):
    kind = EventKind.PAYMENT_RECORDED
    payment_id: int | None = None
    method: str | None = None
    status: str | None = None
    amount_captured: Decimal | None = None
    failure_reason: str | None = None


@dataclass(frozen=True)
class RefundRecorded(LedgerEvent):
    kind = EventKind.REFUND_RECORDED
    refund_id: int | None = None
    amount: Decimal | None = None
    currency: str | None = None
    reason: str | None = None
    by: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class PaymentAdjusted(LedgerEvent):
    kind = EventKind.PAYMENT_ADJUSTED
    payment_id: int | None = None
