"""Chargers played over real websockets (the `ocpp` library as the peer) that note every call the server
acknowledged (a CallResult received). A charger behaves like a real one with an offline queue: a call whose answer
never came is sent again, unchanged, after reconnecting; the suite's random choices add duplicated, reordered and
late messages."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import websockets
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call as call201


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@dataclass
class Ack:
    """One acknowledged call, in the terms the invariants check: which fact the ledger must now hold once."""
    station: str
    version: str
    fact: str               # started | reading | stopped | unplugged
    transaction: str        # 1.6: the id the server gave (the session id); 2.0.1: the charger's own id
    at: datetime | None = None
    value: float | None = None


@dataclass
class Tally:
    acks: list[Ack] = field(default_factory=list)
    sent: int = 0
    resent: int = 0
    duplicated: int = 0
    reordered: int = 0
    late: int = 0
    errors: int = 0      # CallErrors answered (not acknowledged: sent again)
    abandoned: int = 0   # sessions given up after a call kept failing


class Refused(Exception):
    """The server kept answering a call with a CallError: the charger gives up on that session."""


class Charger:
    """One station; `play` runs `sessions` charging sessions and returns when all of them are acknowledged."""

    def __init__(self, station: str, version: str, url: str, rng: random.Random, tally: Tally,
                 pace: float = 0.2):
        self.station, self.version, self.url, self.rng, self.tally = station, version, url, rng, tally
        self.pace = pace  # up to this many seconds between calls, so that the kills land among them
        self.cp = None
        self.ws = None
        self.task = None
        self.clock = datetime.now(timezone.utc).replace(microsecond=0)
        self.register = 0

    def tick(self, seconds: int = 1) -> datetime:
        self.clock += timedelta(seconds=seconds)
        return self.clock

    async def _connect(self) -> None:
        while True:
            try:
                self.ws = await websockets.connect(f"{self.url}/ocpp/{self.station}",
                                                   subprotocols=[f"ocpp{self.version}"], open_timeout=5)
                break
            except (OSError, websockets.WebSocketException, asyncio.TimeoutError):
                await asyncio.sleep(0.2 + self.rng.random() * 0.3)
        self.cp = (Cp16 if self.version == "1.6" else Cp201)(self.station, self.ws, response_timeout=10)
        self.task = asyncio.create_task(self.cp.start())

    async def _drop(self) -> None:
        if self.task:
            self.task.cancel()
            if self.task.done() and not self.task.cancelled():
                self.task.exception()  # the connection's end, already known: not an unretrieved error
        if self.ws:
            try:
                await self.ws.close()
            except Exception:  # noqa: BLE001 - the connection is already gone after a kill
                pass
        self.ws = self.cp = self.task = None

    async def send(self, payload):
        """Until a CallResult comes: a lost connection or a timeout sends the very same call again."""
        first, errors = True, 0
        await asyncio.sleep(self.rng.random() * self.pace)
        while True:
            if self.cp is None:
                await self._connect()
            try:
                self.tally.sent += 1
                if not first:
                    self.tally.resent += 1
                first = False
                answer = await self.cp.call(payload)
            except (OSError, websockets.WebSocketException, asyncio.TimeoutError):
                await self._drop()
                continue
            if answer is not None:
                return answer
            self.tally.errors += 1  # a CallError: nothing acknowledged; a charger tries again a little later
            errors += 1
            if errors >= 10:
                raise Refused(type(payload).__name__)
            await asyncio.sleep(0.2)

    async def close(self) -> None:
        await self._drop()

    async def play(self, sessions: int, chance: float = 0.2) -> None:
        for n in range(sessions):
            try:
                if self.version == "1.6":
                    await self._session16(chance)
                else:
                    await self._session201(n, chance)
            except Refused:
                self.tally.abandoned += 1
        await self.close()

    def _ack(self, fact: str, tx: str, at=None, value=None) -> None:
        self.tally.acks.append(Ack(self.station, self.version, fact, tx, at, value))

    async def _session16(self, chance: float) -> None:
        rng = self.rng
        await self.send(call16.StatusNotification(connector_id=1, error_code="NoError", status="Preparing",
                                                  timestamp=iso(self.tick())))
        start = call16.StartTransaction(connector_id=1, id_tag=f"TAG-{self.station}", meter_start=self.register,
                                        timestamp=iso(self.tick()))
        tx = (await self.send(start)).transaction_id
        self._ack("started", str(tx))
        if rng.random() < chance:  # duplicated: the same call again, as a charger that missed our answer does
            await self.send(start)
            self.tally.duplicated += 1
        readings = []
        for _ in range(rng.randint(1, 4)):
            self.register += rng.randint(200, 3000)
            at = self.tick(60)
            readings.append(call16.MeterValues(connector_id=1, transaction_id=tx, meter_value=[
                {"timestamp": iso(at), "sampledValue": [{"value": str(self.register),
                                                         "measurand": "Energy.Active.Import.Register",
                                                         "unit": "Wh"}]}]))
        late = readings.pop() if len(readings) > 1 and rng.random() < chance else None
        if len(readings) > 1 and rng.random() < chance:  # reordered: an offline queue flushed out of order
            readings.reverse()
            self.tally.reordered += 1
        for reading in readings:
            await self.send(reading)
            self._ack_reading16(tx, reading)
        stop = call16.StopTransaction(meter_stop=self.register, timestamp=iso(self.tick(60)), transaction_id=tx,
                                      reason="EVDisconnected")
        available = call16.StatusNotification(connector_id=1, error_code="NoError", status="Available",
                                              timestamp=iso(self.tick(30)))
        order = [stop, available]
        if rng.random() < chance:  # many chargers report the connector free before the stop
            order.reverse()
            self.tally.reordered += 1
        for message in order:
            await self.send(message)
            self._ack("stopped" if message is stop else "unplugged", str(tx))
        if late is not None:  # a reading that arrives after the session settled
            await self.send(late)
            self._ack_reading16(tx, late)
            self.tally.late += 1
        if rng.random() < chance:
            await self.send(stop)
            self.tally.duplicated += 1

    def _ack_reading16(self, tx, reading) -> None:
        value = reading.meter_value[0]
        self._ack("reading", str(tx), datetime.fromisoformat(value["timestamp"].replace("Z", "+00:00")),
                  float(value["sampledValue"][0]["value"]))

    async def _session201(self, n: int, chance: float) -> None:
        rng = self.rng
        txid = f"{self.station}-{n}-{rng.randrange(10**9)}"
        evse = {"id": 1, "connector_id": 1}
        seq = 0

        def event(kind: str, trigger: str, state: str, at: datetime, **extra):
            nonlocal seq
            seq += 1
            return call201.TransactionEvent(event_type=kind, timestamp=iso(at), trigger_reason=trigger,
                                            seq_no=seq - 1, transaction_info={"transaction_id": txid,
                                                                              "charging_state": state}, **extra)

        def reading(at: datetime) -> list:
            return [{"timestamp": iso(at), "sampled_value": [{"value": self.register,
                                                              "measurand": "Energy.Active.Import.Register"}]}]

        at = self.tick()
        started = event("Started", "Authorized", "Charging", at, evse=evse,
                        id_token={"id_token": f"TAG-{self.station}", "type": "ISO14443"}, meter_value=reading(at))
        messages = [("started", started, at, float(self.register))]
        for _ in range(rng.randint(1, 3)):
            self.register += rng.randint(200, 3000)
            at = self.tick(60)
            messages.append(("reading", event("Updated", "MeterValuePeriodic", "Charging", at,
                                              meter_value=reading(at)), at, float(self.register)))
        self.register += rng.randint(0, 500)
        at = self.tick(60)
        messages.append(("stopped", event("Ended", "EVCommunicationLost", "Idle", at, meter_value=reading(at),
                                          evse=evse), at, float(self.register)))
        if rng.random() < chance:  # an offline queue flushed out of order: Ended may come before Started
            rng.shuffle(messages)
            self.tally.reordered += 1
        for fact, message, at, value in messages:
            await self.send(message)
            self._ack(fact, txid, at, value)
            if fact != "reading":  # the event's own reading is a fact too
                self._ack("reading", txid, at, value)
            if rng.random() < chance / 2:
                await self.send(message)
                self.tally.duplicated += 1
        await self.send(call201.StatusNotification(timestamp=iso(self.tick(30)), connector_status="Available",
                                                   evse_id=1, connector_id=1))
        self._ack("unplugged", txid)
