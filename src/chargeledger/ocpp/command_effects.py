"""What the back office keeps of a 1.6 remote command once the station answered it: each command with an effect
on our records names a function here (configuration, local list, reservations, charging profiles...).

Each runs on the gateway's writer thread, from Central16.answered, with the command's payload and answer, both in
snake_case."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from ocpp.charge_point import remove_nones, serialize_as_dict
from sqlalchemy import Engine

from . import configuration

Effect = Callable[..., None]
_EFFECTS: dict[tuple[str, str], Effect] = {}


def effect(version: str, name: str):
    def register(fn: Effect) -> Effect:
        _EFFECTS[(version, name)] = fn
        return fn
    return register


def apply(engine: Engine, station_id: str, version: str, name: str, payload: dict, answer: dict,
          at: datetime) -> None:
    fn = _EFFECTS.get((version, name))
    if fn is not None:
        with engine.begin() as conn:
            fn(conn, station_id, payload, answer, at)


def payload_of(request) -> dict:
    """A built command's payload in snake_case, without empty fields."""
    return remove_nones(serialize_as_dict(request))


def has_effect(version: str, name: str) -> bool:
    return (version, name) in _EFFECTS


@effect("1.6", "GetConfiguration")
def _reported(conn, station_id: str, payload: dict, answer: dict, at: datetime) -> None:
    configuration.record_reported(conn, station_id, answer.get("configuration_key") or [], at)


@effect("1.6", "ChangeConfiguration")
def _changed(conn, station_id: str, payload: dict, answer: dict, at: datetime) -> None:
    if answer.get("status") in ("Accepted", "RebootRequired"):
        configuration.record_change(conn, station_id, payload["key"], payload["value"], at)
