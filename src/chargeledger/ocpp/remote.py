"""Remote commands across processes: the API sends a command to the gateway process holding the station's websocket
(request/reply over NATS, with the command's deadline) and gets the charger's answer or the failure back.

- no live gateway holds the station (presence lease), or its gateway has left the bus: StationOffline at once;
- the gateway took the request but no answer came within the deadline (it died mid-way): CommandTimeout;
- anything the gateway raised (offline, rejected, the charger's CallError, a bad payload) comes back as itself.
Also here: the takeover notice, by which the gateway a station reconnected to closes its stale socket elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

import orjson
from nats.aio.client import Client
from nats.errors import NoRespondersError, TimeoutError as BusTimeout
from sqlalchemy import Engine

from .. import bus
from ..directory import presence
from . import commands

log = logging.getLogger(__name__)
_FAILURES = {cls.__name__: cls for cls in (commands.StationOffline, commands.CommandTimeout,
                                           commands.CommandRejected, commands.BadCommand, commands.ChargerError)}
REPLY_MARGIN = 2.0  # seconds the API waits beyond the gateway's own wait for the charger, for the reply to travel


# -- the gateway's side ---------------------------------------------------------------------------------------------
async def attach(gateway, client: Client) -> list:
    """Answer commands for the stations this gateway holds, and drop stations another gateway took over."""

    async def on_command(msg) -> None:
        # each command in a task of its own: a charger slow to answer must not hold up the next command
        gateway.spawn(_answer(gateway, msg))

    async def on_takeover(msg) -> None:
        try:
            notice = orjson.loads(msg.data)
            station_id, other = str(notice["station"]), str(notice["gateway"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            log.warning("ignored a malformed takeover notice: %r", msg.data[:200])
            return
        if other != gateway.name:
            gateway.taken_over(station_id, other)

    return [await client.subscribe(bus.commands_subject(gateway.name), cb=on_command),
            await client.subscribe(bus.TAKEOVER, cb=on_takeover)]


async def announce(client: Client, station_id: str, gateway_name: str) -> None:
    await client.publish(bus.TAKEOVER, orjson.dumps({"station": station_id, "gateway": gateway_name}))


async def _answer(gateway, msg) -> None:
    request: dict = {}
    try:
        request = orjson.loads(msg.data)
        if request.get("stop"):
            reply = {"status": await gateway.stop_session(request["stop"], request["by"])}
        else:
            reply = {"answer": await gateway.command(request["station"], request["name"], request["payload"],
                                                     request.get("source", "api"), request.get("by"))}
    except commands.CommandFailed as exc:
        reply = {"error": type(exc).__name__, "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - the caller gets an answer, never silence
        # named, not quoted: a payload may carry a station's new password (station_secrets)
        named = request if isinstance(request, dict) else {}
        log.exception("remote command %s for station %s failed", named.get("name"), named.get("station"))
        reply = {"error": "ChargerError", "message": f"the gateway could not run the command ({type(exc).__name__})"}
    try:
        await msg.respond(orjson.dumps(reply))
    except Exception:  # noqa: BLE001 - the asker gave up (its deadline passed) or the bus is down
        log.warning("could not send the answer of a remote command", exc_info=True)


# -- the API's side -------------------------------------------------------------------------------------------------
class RemoteCommands:
    """What the API calls `gateway`: commands reach the station wherever its websocket is held."""

    def __init__(self, engine: Engine, client: Client, timeout: float, local=None):
        self.engine = engine
        self.client = client
        self.timeout = timeout + REPLY_MARGIN
        self.local = local  # this process's own gateway, if it runs one: its stations need no bus

    async def command(self, station_id: str, name: str, payload: dict, source: str = "api",
                      by: str | None = None) -> dict:
        if self.local is not None and station_id in self.local.connected:
            return await self.local.command(station_id, name, payload, source, by)
        reply = await self._ask(station_id, {"station": station_id, "name": name, "payload": payload,
                                             "source": source, "by": by}, name)
        return reply["answer"]

    async def stop_session(self, session: dict, by: str) -> str:
        station_id = session["station_id"]
        if self.local is not None and station_id in self.local.connected:
            return await self.local.stop_session(session, by)
        stop = {k: session.get(k) for k in ("id", "station_id", "transaction_id")}
        reply = await self._ask(station_id, {"stop": stop, "by": by}, "the stop")
        return reply["status"]

    async def _ask(self, station_id: str, request: dict, what: str) -> dict:
        now = datetime.now(timezone.utc)
        holder = await asyncio.to_thread(presence.holder, self.engine, station_id, now)
        if holder is None:
            raise commands.StationOffline(f"station {station_id} is not connected to any gateway")
        try:
            msg = await self.client.request(bus.commands_subject(holder), orjson.dumps(request),
                                            timeout=self.timeout)
        except NoRespondersError:
            raise commands.StationOffline(f"station {station_id} is offline: its gateway {holder} has left the "
                                          f"bus") from None
        except BusTimeout:
            raise commands.CommandTimeout(f"no answer to {what} for station {station_id} within "
                                          f"{self.timeout:g} s: its gateway {holder} did not reply (stopped?)") from None
        reply = orjson.loads(msg.data)
        if "error" in reply:
            raise _FAILURES.get(reply["error"], commands.ChargerError)(reply["message"])
        return reply
