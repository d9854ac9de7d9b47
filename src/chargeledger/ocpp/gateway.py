"""The OCPP gateway: a websocket server at /ocpp/{station_id} speaking ocpp1.6 and ocpp2.0.1.

Only registered stations get through the handshake (or, as an operator setting, unknown ones join a site); a
station with a password must send it with HTTP Basic (security profile 1), and a TLS context gives profile 2.
A station that reconnects replaces its old connection. Remote commands from the API go through `command`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from http import HTTPStatus
from urllib.parse import unquote

from ocpp.exceptions import OCPPError
from sqlalchemy import Engine
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from ..domain.events import EventKind, EventSource
from ..ledger.store import Ledger, NewEvent
from . import commands, housekeeping, stations
from .connection import utcnow
from .group_commit import GroupCommit
from .message_log import MessageLog
from .recorder import Recorder
from .settings import GatewaySettings
from .v16.central import REMOTE_START_WINDOW, Central16
from .v201.central import Central201

log = logging.getLogger(__name__)
SUBPROTOCOLS = ["ocpp2.0.1", "ocpp1.6"]
_CLASSES = {"ocpp1.6": Central16, "ocpp2.0.1": Central201}


class Gateway:
    def __init__(self, engine: Engine, settings: GatewaySettings | None = None):
        self.engine = engine
        self.settings = settings or GatewaySettings()
        self.recorder = Recorder(engine, self.settings.meter_refresh_every)
        # One writer thread, many messages per commit: fewer commits and GIL hand-overs than a thread per write.
        self.group = GroupCommit(engine, lambda conn, sid: self.recorder.ledger.refresh(sid, connection=conn),
                                 self.recorder.forget)
        self.log = MessageLog(engine, self.group.call, self.settings.log_flush_every)
        self.connected: dict[str, Central16 | Central201] = {}
        self._remote_starts: dict[tuple[str, int], datetime] = {}
        self._seen: dict[str, datetime] = {}
        self._server = None
        self._tasks: list[asyncio.Task] = []

    # -- lifecycle ----------------------------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 9000) -> None:
        self.group.start()
        self._server = await serve(self._serve_station, host, port, subprotocols=SUBPROTOCOLS,
                                   process_request=self._handshake, ssl=self.settings.ssl_context,
                                   ping_interval=None, max_queue=64, backlog=self.settings.backlog)
        self.log.start()
        self._tasks.append(asyncio.create_task(self._upkeep()))

    @property
    def port(self) -> int:
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self.log.stop()
        await self._run(stations.record_seen, self.engine, self._take_seen())
        await self.group.stop()

    async def _run(self, fn, *args):
        return await self.group.call(fn, *args)

    async def _upkeep(self) -> None:
        while True:
            await asyncio.sleep(self.settings.sweep_interval)
            try:
                await self._run(stations.record_seen, self.engine, self._take_seen())
                await self._run(housekeeping.sweep, self.engine, self.settings, utcnow())
            except Exception:  # noqa: BLE001 - upkeep retries next round; chargers must not notice
                log.exception("OCPP upkeep failed")

    def seen(self, station_id: str) -> None:
        self._seen[station_id] = utcnow()

    def _take_seen(self) -> dict[str, datetime]:
        seen, self._seen = self._seen, {}
        return seen

    # -- handshake and connections ------------------------------------------------------------------------------
    async def _handshake(self, connection: ServerConnection, request):
        path = request.path.split("?", 1)[0].rstrip("/")
        prefix, _, station_id = path.rpartition("/")
        station_id = unquote(station_id)
        if prefix != "/ocpp" or not station_id:
            return connection.respond(HTTPStatus.NOT_FOUND, "connect to /ocpp/{station_id}\n")
        offered = request.headers.get("Sec-WebSocket-Protocol", "")
        version = "2.0.1" if "ocpp2.0.1" in offered else "1.6"
        station = await asyncio.to_thread(stations.find_station, self.engine, station_id)
        if station is None and self.settings.auto_register_site:
            station = await asyncio.to_thread(stations.auto_register, self.engine, station_id,
                                              self.settings.auto_register_site, version)
        if station is None:
            log.warning("refused unknown station %s", station_id)
            return connection.respond(HTTPStatus.NOT_FOUND, f"station {station_id} is not registered\n")
        authorization = request.headers.get("Authorization")
        if station.password_hash and not await asyncio.to_thread(stations.basic_auth_ok, station, authorization):
            response = connection.respond(HTTPStatus.UNAUTHORIZED, "station credentials required\n")
            response.headers["WWW-Authenticate"] = 'Basic realm="ocpp"'
            return response
        connection.station = station
        return None

    async def _serve_station(self, connection: ServerConnection) -> None:
        station = connection.station
        cls = _CLASSES.get(connection.subprotocol)
        if cls is None:
            await connection.close(1002, "subprotocol ocpp1.6 or ocpp2.0.1 required")
            return
        cp = cls(station.id, connection, response_timeout=self.settings.command_timeout)
        cp.setup(self, station)
        old = self.connected.get(station.id)
        self.connected[station.id] = cp
        if old is not None:
            log.info("station %s reconnected: closing its previous connection", station.id)
            await old._connection.close(1000, "replaced by a new connection")
        self.seen(station.id)
        try:
            await cp.start()
        except ConnectionClosed:
            pass
        finally:
            if self.connected.get(station.id) is cp:
                del self.connected[station.id]

    # -- remote commands ----------------------------------------------------------------------------------------
    async def command(self, station_id: str, name: str, payload: dict) -> dict:
        cp = self.connected.get(station_id)
        if cp is None:
            raise commands.StationOffline(f"station {station_id} is not connected")
        request = commands.build(cp.version, name, payload)
        try:
            result = await cp.call(request, suppress=False)
        except asyncio.TimeoutError:
            raise commands.CommandTimeout(
                f"station {station_id} did not answer {name} within {self.settings.command_timeout:g} s") from None
        except ConnectionClosed:
            raise commands.StationOffline(f"station {station_id} disconnected before answering {name}") from None
        except OCPPError as exc:
            raise commands.ChargerError(f"{name}: {exc.code}: {exc.description}") from None
        answer = {k: v for k, v in vars(result).items() if v is not None}
        if name in ("RemoteStartTransaction", "RequestStartTransaction") and answer.get("status") == "Accepted":
            connector = payload.get("connectorId") or payload.get("evseId") or 1
            self._remote_starts[(station_id, int(connector))] = utcnow()
        return answer

    def take_remote_start(self, station_id: str, connector: int, at: datetime) -> bool:
        asked = self._remote_starts.pop((station_id, connector), None)
        return asked is not None and abs(at - asked) <= REMOTE_START_WINDOW

    async def stop_session(self, session: dict, by: str) -> str:
        """Ask the charger to stop; Accepted appends STOP_REQUESTED. Returns the new status."""
        station_id, transaction_id = session["station_id"], session["transaction_id"]
        cp = self.connected.get(station_id)
        if cp is None:
            raise commands.StationOffline(f"station {station_id} is not connected")
        if not transaction_id:
            raise commands.CommandRejected("the session has no transaction on the charger yet")
        if cp.version == "1.6":
            answer = await self.command(station_id, "RemoteStopTransaction", {"transactionId": int(transaction_id)})
        else:
            answer = await self.command(station_id, "RequestStopTransaction", {"transactionId": transaction_id})
        if answer.get("status") != "Accepted":
            raise commands.CommandRejected(f"station {station_id} rejected the stop ({answer.get('status')})")
        ledger = Ledger(self.engine)

        def record() -> str:
            ledger.append(session["id"], [NewEvent(EventKind.STOP_REQUESTED, utcnow(), EventSource.OPERATOR,
                                                   {"by": by, "reason": "remote stop"})])
            return ledger.refresh(session["id"]).status.value

        return await self._run(record)
