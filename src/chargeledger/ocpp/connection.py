"""What both protocol versions share on one charger's connection: routing frames, CallErrors, the message log,
and running ledger writes off the event loop (through the gateway's group-commit writer, in this charger's order)."""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

import orjson
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallError, CallResult
from ocpp.routing import create_route_map

from . import frames, registration
from .admission import MessageRate
from .answer import answer
from .station_secrets import mentions_secret, redacted
from .message_log import Frame
from .stations import StationInfo

if TYPE_CHECKING:
    from .gateway import Gateway

log = logging.getLogger(__name__)


_LAZY: dict[str, Callable[[], Any]] = {"_response_queue": asyncio.Queue, "_call_lock": asyncio.Lock}


@functools.cache
def class_routes(cls) -> dict:
    """The library's route map of a ChargePoint class, with its handlers as plain functions (shared by all
    instances; bind one with `handler.__get__(instance)`)."""
    return create_route_map(cls)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class CentralSide:
    """Mixed into the ocpp library's ChargePoint of each version (the library does the schema and the calls)."""

    version = "1.6"
    known_actions: frozenset[str] = frozenset()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A gateway holds tens of thousands of these: what the library builds for each connection and most never
        # use goes. Its route map (a dict of bound handlers per action, ~3 KB) is the class's, built once with
        # plain functions (answer.py binds the one it calls); the queue of answers to our commands and the lock
        # that sends one command at a time (~3 KB) are made at the first command (__getattr__ below).
        self.route_map = class_routes(type(self))
        del self._response_queue, self._call_lock

    def __getattr__(self, name: str):
        factory = _LAZY.get(name)
        if factory is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        value = factory()
        setattr(self, name, value)
        return value

    def setup(self, gateway: "Gateway", station: StationInfo, rate: MessageRate | None = None) -> None:
        self.gateway = gateway
        self.station = station
        self.rate = rate
        self.frame_session: int | None = None  # the session the frame being handled concerns, for the log
        self._pending_in: Frame | None = None
        self._answering: str | None = None  # the action of the Call we are answering, to label the answer
        self._sent_actions: dict[str, str] = {}  # unique id of our Calls -> action, to label their answers
        self.command_sessions: dict[str, int | None] = {}  # unique id of our commands -> the session they act on
        self.registration = station.registration  # until it boots: what the operator decided last
        self.triggered: set[str] = set()  # actions we asked for with TriggerMessage: allowed once while Pending
        self._after: list = []  # coroutines to run once the answer being built is sent
        self.certificate_serial: str | None = None  # the client certificate it connected with (profile 3)

    def registered(self, status: str) -> int:
        """After a BootNotification: remember the answer; returns the interval to tell the station."""
        self.registration = status
        settings = self.gateway.settings
        return registration.interval(status, settings.heartbeat_interval, settings.boot_retry_interval)

    async def send_command(self, request, unique_id: str):
        """Send one of our commands and wait for its answer (a version may send it in parts)."""
        return await self.call(request, suppress=False, unique_id=unique_id)

    async def asking(self, request, source: str = "api", by: str | None = None) -> None:
        """Before a command goes out: what must be on record in case the station acts before it answers."""

    async def answered(self, request, answer: dict, source: str = "api", by: str | None = None) -> None:
        """What a charger's answer to our command teaches us (each version adds its own)."""
        if type(request).__name__ == "TriggerMessage" and answer.get("status") == "Accepted":
            self.triggered.add(registration.triggered_action(request.requested_message))

    def after_answer(self, coroutine) -> None:
        """Run `coroutine` once our answer to the Call being handled is sent (a CertificateSigned must follow the
        SignCertificate answer, not race it)."""
        self._after.append(coroutine)

    async def db(self, fn: Callable, *args: Any) -> Any:
        """A write of its own on the writer thread; awaited, so nothing is acknowledged before it is stored."""
        return await self.gateway.group.call(fn, *args)

    async def read(self, fn: Callable, *args: Any) -> Any:
        """A lookup off the event loop; reads need not queue behind the writer."""
        return await asyncio.to_thread(fn, *args)

    async def store(self, work: Callable) -> Any:
        """Ledger writes of this message in a group commit, with the message itself; returns its session ID."""
        frame, self._pending_in = self._pending_in, None
        try:
            return await self.gateway.group.work(work, frame)
        except BaseException:
            self._pending_in = frame  # not stored: the batched log keeps the frame that got an InternalError
            raise

    def _frame(self, direction: str, kind: int, action: str | None, unique_id: str | None, text: str) -> Frame:
        return Frame(self.station.id, utcnow(), direction, kind, action, unique_id, text, self.frame_session)

    async def route_message(self, raw_msg):  # noqa: D401 - overrides the library to answer every bad frame
        text = raw_msg if isinstance(raw_msg, str) else raw_msg.decode("utf-8", "replace")
        if not self.gateway.is_current(self):
            # replaced by a newer connection of this station: nothing it still sends may change the ledger
            log.warning("%s: dropped a message from a replaced connection", self.station.id)
            return
        self.gateway.seen(self.station.id)
        self.frame_session = None
        self._answering = None
        try:
            msg = frames.read(raw_msg)
        except frames.BadFrame as bad:
            self.gateway.log.add(self._frame("in", 0, None, bad.unique_id, text))
            code = frames.error_code(bad.kind, self.version)
            await self._send(frames.error_frame(bad.unique_id, code, "frame rejected", bad.detail))
            return
        if isinstance(msg, (CallResult, CallError)):
            action = self._sent_actions.pop(msg.unique_id, None)
            # the answer to our command is logged with the session the command acts on
            acts_on = self.command_sessions.pop(msg.unique_id, None)
            self.gateway.log.add(Frame(self.station.id, utcnow(), "in", msg.message_type_id, action, msg.unique_id,
                                       _logged(action, text, msg.message_type_id), acts_on))
            self._response_queue.put_nowait(msg)
            return
        self._pending_in = self._frame("in", 2, msg.action, msg.unique_id, text)
        self._answering = msg.action
        if self.rate is not None and not self.rate.allow():
            await self._send(frames.error_frame(
                msg.unique_id, "GenericError", "rate limit exceeded",
                f"at most {self.rate.rate:g} messages a second (bursts of {self.rate.burst:g}); send again later"))
            return
        try:
            await self._route_call(msg)
        finally:
            self._flush_in()

    async def _route_call(self, msg: Call) -> None:
        if not registration.may_send(self.registration, msg.action, self.triggered):
            await self._send(frames.error_frame(
                msg.unique_id, "SecurityError", f"the station is {self.registration}, not Accepted",
                f"until the operator accepts {self.station.id}, only BootNotification is answered"))
            return
        self.triggered.discard(msg.action)
        if msg.action not in self.route_map:
            # Spec wording: NotImplemented = action not known; NotSupported = known but not supported here.
            code = "NotSupported" if msg.action in self.known_actions else "NotImplemented"
            await self._send(frames.error_frame(msg.unique_id, code, f"{msg.action} is not handled",
                                                f"no handler for {msg.action} in OCPP {self.version}"))
            return
        try:
            await self._send(await answer(self, msg), 3, msg.unique_id)
        except OCPPError as exc:
            self._drop_after()
            await self._send(frames.from_exception(msg, exc, self.version))
        except Exception as exc:  # noqa: BLE001 - a bug or a database outage answers InternalError; the loop lives
            self._drop_after()
            log.exception("%s: %s failed", self.station.id, msg.action)
            await self._send(frames.error_frame(msg.unique_id, "InternalError", "could not process the message",
                                                type(exc).__name__))
        else:
            after, self._after = self._after, []
            for coroutine in after:
                self.gateway.spawn(coroutine)

    def _drop_after(self) -> None:
        """No answer went out: what was to follow it does not happen."""
        after, self._after = self._after, []
        for coroutine in after:
            coroutine.close()

    def _flush_in(self) -> None:
        if self._pending_in is not None:
            pending, self._pending_in = self._pending_in, None
            self.gateway.log.add(Frame(*[getattr(pending, f) for f in pending.__slots__[:-1]], self.frame_session))

    async def _send(self, message, kind: int | None = None, unique_id: str | None = None):
        self._flush_in()  # the request is logged before its answer
        text = message if isinstance(message, str) else str(message)
        action = None
        if kind is None:  # a frame the library built: read back what it is
            kind, unique_id, action = _peek(text)
        if kind == 2 and unique_id:
            self._sent_actions[unique_id] = action
            # our command is logged with the session it acts on, not the one the last message concerned
            frame = Frame(self.station.id, utcnow(), "out", kind, action, unique_id, _logged(action, text),
                          self.command_sessions.get(unique_id))
        else:
            frame = self._frame("out", kind, self._answering, unique_id, text)
        self.gateway.log.add(frame)
        await self._connection.send(text)


def _logged(action: str | None, text: str, kind: int = 2) -> str:
    """The frame as the message log keeps it: a secret we send (a station's new password), or one a station
    reports in its configuration, is hidden."""
    if action not in ("SetVariables", "ChangeConfiguration", "GetConfiguration") or not mentions_secret(text):
        return text
    data = orjson.loads(text)
    at = 3 if kind == 2 else 2  # a Call's payload, or a CallResult's
    if len(data) <= at:
        return text
    return orjson.dumps([*data[:at], redacted(action, data[at]), *data[at + 1:]]).decode()


def _peek(text: str) -> tuple[int, str | None, str | None]:
    """Type, unique id and action of a frame we send (we built it, so it is well-formed)."""
    data = orjson.loads(text)
    return data[0], data[1], data[2] if data[0] == 2 else None
