"""The OCPP gateway: a websocket server at /ocpp/{station_id} speaking ocpp1.6 and ocpp2.0.1.

Only registered stations get through the handshake (or, as an operator setting, unknown ones join a site), and
only with their credentials: HTTP Basic with the station's password (security profiles 1 and 2, the latter over
TLS), or a client certificate issued for the station (profile 3); a station connects without credentials only if
the operator marked it unsecured. A station that reconnects replaces its old connection at once, and the old
one's messages are dropped. Limits per address and per connection: ocpp/admission.py. Remote commands from the
API go through `command`, from API processes elsewhere over the bus (ocpp/remote.py). Each gateway process has a
name; the stations table says which one holds each station (directory/presence.py), renewed by a lease.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from datetime import datetime
from http import HTTPStatus
from urllib.parse import unquote

from ocpp.exceptions import OCPPError
from sqlalchemy import Engine
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

from ..directory import presence
from ..settings import current, process_name
from ..domain.events import EventSource
from ..domain.typed_events import StopRequested
from ..ledger.store import Ledger, NewEvent
from . import (certificate_renewal, command_sessions, commands, housekeeping, remote, reservations, security_profile,
               site_limit, stations)
from ..access.password_pool import PasswordChecksBusy, PasswordPool
from .admission import Admission, MessageRate
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
    def __init__(self, engine: Engine, settings: GatewaySettings | None = None, name: str | None = None,
                 bus=None):
        self.engine = engine
        self.settings = settings or GatewaySettings()
        self.name = name or process_name(current())  # shown as the station's `gateway`; the bus routes commands by it
        self.bus = bus  # a connected nats-py client, when other processes reach this gateway
        self.recorder = Recorder(engine, self.settings.meter_refresh_every)
        # One writer thread, many messages per commit: fewer commits and GIL hand-overs than a thread per write.
        self.group = GroupCommit(engine, self.recorder.refresh,
                                 self.recorder.forget, checks=self.recorder.late_among)
        self.log = MessageLog(engine, self.group.call, self.settings.log_flush_every)
        self.connected: dict[str, Central16 | Central201] = {}
        self._remote_starts: dict[tuple[str, int], tuple[datetime, str]] = {}  # 1.6: when, and who asked
        self._seen: dict[str, datetime] = {}
        self._server = self._tls_server = None
        self._tasks: set[asyncio.Task] = set()
        self._stopping = False
        self._subscriptions: list = []
        self.admission = Admission(self.settings.handshakes_per_address, self.settings.connections_per_address)
        self.passwords = PasswordPool(self.settings.auth_workers, self.settings.auth_waiting, "station-password")

    # -- lifecycle ----------------------------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 9000) -> None:
        self.group.start()
        tls, both = self.settings.ssl_context, self.settings.tls_port is not None
        self._server = await self._listen(host, port, None if both else tls)
        if both and tls is not None:  # profile 1 on `port`, profiles 2 and 3 on the TLS port: stations move up
            self._tls_server = await self._listen(host, self.settings.tls_port, tls)
        self.log.start()
        await self._run(presence.gateway_started, self.engine, self.name, utcnow())
        self.spawn(self._upkeep())
        self.spawn(self._renew_lease())
        if self.bus is not None:
            self._subscriptions = await remote.attach(self, self.bus)

    async def _listen(self, host: str, port: int, tls):
        return await serve(self._serve_station, host, port, select_subprotocol=_select_subprotocol,
                           process_request=self._handshake, ssl=tls, ping_interval=None,
                           max_size=self.settings.max_frame_bytes, open_timeout=self.settings.handshake_timeout,
                           close_timeout=5, max_queue=64, backlog=self.settings.backlog, compression=None,
                           extensions=_compression(self.settings.compression_window_bits))

    def spawn(self, coroutine) -> asyncio.Task:
        """A task the gateway keeps (and cancels when it stops)."""
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def port(self) -> int:
        return self._server.sockets[0].getsockname()[1]

    @property
    def tls_port(self) -> int | None:
        return self._tls_server.sockets[0].getsockname()[1] if self._tls_server is not None else None

    async def stop(self) -> None:
        self._stopping = True
        for subscription in self._subscriptions:
            try:
                await subscription.unsubscribe()
            except Exception:  # noqa: BLE001 - the bus may be gone already; its subscriptions with it
                pass
        for task in list(self._tasks):
            task.cancel()
        for server in (self._server, self._tls_server):
            if server is not None:
                server.close()
                await server.wait_closed()
        await self.log.stop()
        await self._run(presence.messages_seen, self.engine, self._take_seen())
        await self._run(presence.gateway_stopped, self.engine, self.name, utcnow())
        await self.group.stop()
        self.passwords.shutdown()

    async def _run(self, fn, *args):
        return await self.group.call(fn, *args)

    async def _upkeep(self) -> None:
        while True:
            await asyncio.sleep(self.settings.sweep_interval)
            try:
                await self._run(presence.messages_seen, self.engine, self._take_seen())
                await self._run(housekeeping.sweep, self.engine, self.settings, utcnow())
                await self._run(reservations.expire, self.engine, utcnow())
                await certificate_renewal.renew(self, utcnow())
                await self._close_revoked()
            except Exception:  # noqa: BLE001 - upkeep retries next round; chargers must not notice
                log.exception("OCPP upkeep failed")

    async def _close_revoked(self) -> None:
        """A station whose client certificate was revoked since it connected loses its connection (the operator
        revoked it in this or another process: the database says so)."""
        serials = {cp.certificate_serial: station_id for station_id, cp in self.connected.items()
                   if cp.certificate_serial}
        if not serials:
            return
        for serial in await self._run(security_profile.revoked_among, self.engine, set(serials)):
            cp = self.connected.get(serials[serial])
            if cp is not None:
                log.warning("station %s: its client certificate %s was revoked: closing its connection",
                            serials[serial], serial)
                self.spawn(cp._connection.close(1008, "client certificate revoked"))

    async def _renew_lease(self) -> None:
        while True:
            await asyncio.sleep(presence.RENEW_EVERY)
            try:
                await self._run(presence.gateway_renewed, self.engine, self.name, utcnow())
            except Exception:  # noqa: BLE001 - the next renewal may get through; the lease outlasts a few misses
                log.exception("gateway %s could not renew its lease", self.name)

    def seen(self, station_id: str) -> None:
        self._seen[station_id] = utcnow()

    def _take_seen(self) -> dict[str, datetime]:
        seen, self._seen = self._seen, {}
        return seen

    # -- handshake and connections ------------------------------------------------------------------------------
    async def _handshake(self, connection: ServerConnection, request):
        address = _address(connection)
        refused = self.admission.refuse(address)
        if refused is not None:
            log.warning("refused a handshake from %s: %s", address, refused[1].strip())
            return connection.respond(*refused)
        try:
            return await self._admit(connection, request, address)
        finally:
            self.admission.done(address)

    async def _admit(self, connection: ServerConnection, request, address: str):
        path = request.path.split("?", 1)[0].rstrip("/")
        prefix, _, station_id = path.rpartition("/")
        station_id = unquote(station_id)
        if prefix != "/ocpp" or not station_id:
            return connection.respond(HTTPStatus.NOT_FOUND, "connect to /ocpp/{station_id}\n")
        offered = [p.strip() for p in ",".join(request.headers.get_all("Sec-WebSocket-Protocol")).split(",")
                   if p.strip()]
        if offered and not set(offered) & set(SUBPROTOCOLS):
            return connection.respond(HTTPStatus.BAD_REQUEST, f"none of the offered subprotocols "
                                      f"({', '.join(offered)}) is spoken here: offer ocpp1.6 or ocpp2.0.1\n")
        version = "2.0.1" if "ocpp2.0.1" in offered else "1.6"
        station = await asyncio.to_thread(stations.find_station, self.engine, station_id)
        if station is None and self.settings.auto_register_site:
            station = await asyncio.to_thread(stations.auto_register, self.engine, station_id,
                                              self.settings.auto_register_site, version,
                                              self.settings.auto_register_status)
        if station is None:
            log.warning("refused unknown station %s from %s", station_id, address)
            return connection.respond(HTTPStatus.NOT_FOUND, f"station {station_id} is not registered\n")
        peer = _peer_certificate(connection)
        certified = bool(peer)
        if certified:
            names = {value for rdn in peer.get("subject", ()) for key, value in rdn if key == "commonName"}
            refused = await asyncio.to_thread(security_profile.client_certificate_refused, self.engine, station.id,
                                              names, peer.get("serialNumber"))
            if refused:
                log.warning("refused station %s from %s: %s (%s)", station.id, address, refused, ", ".join(names))
                return _unauthorized(connection, refused + "\n")
        else:
            password = stations.basic_password(request.headers.get("Authorization"), station.id)
            if station.password_hash or not station.unsecured:
                # a missing password is checked against a dummy hash: it costs what a wrong one does
                try:
                    right = await self.passwords.matches(station.password_hash, password)
                except PasswordChecksBusy:
                    log.warning("refused station %s from %s: password checks busy", station.id, address)
                    return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "busy, try again shortly\n")
                if not right:
                    log.warning("refused station %s from %s: %s", station.id, address,
                                "wrong or missing credentials" if station.password_hash
                                else "it has no credentials and is not marked unsecured")
                    return _unauthorized(connection, "station credentials required\n")
            else:
                log.warning("station %s connects from %s without credentials (marked unsecured)", station.id, address)
        if not offered:
            # OCPP-J requires the subprotocol; a charger registered as 1.6 that omits it (older firmware does) is
            # spoken to in 1.6, any other is told what to offer
            if station.ocpp_version != "1.6":
                log.warning("refused station %s from %s: it offered no subprotocol", station.id, address)
                return connection.respond(HTTPStatus.BAD_REQUEST, f"offer the websocket subprotocol ocpp"
                                          f"{station.ocpp_version} (Sec-WebSocket-Protocol)\n")
            log.warning("station %s offered no subprotocol: spoken to in OCPP 1.6, as registered", station.id)
        profile = security_profile.of_connection(_over_tls(connection), certified)
        below = await asyncio.to_thread(security_profile.admitted, self.engine, station, profile,
                                          utcnow())
        if below:
            log.warning("refused station %s from %s: %s", station.id, address, below)
            return connection.respond(HTTPStatus.FORBIDDEN, below + "\n")
        connection.station = station
        connection.certificate_serial = peer.get("serialNumber")  # profile 3: closed if it is revoked later
        return None

    async def _serve_station(self, connection: ServerConnection) -> None:
        station = connection.station
        address = _address(connection)
        cls = _CLASSES.get(connection.subprotocol or "ocpp1.6")  # no subprotocol: admitted as a 1.6 station
        if cls is None:
            await connection.close(1002, "subprotocol ocpp1.6 or ocpp2.0.1 required")
            return
        # the handshake's request and response (headers, ~4 KB) are kept by websockets for the connection's life;
        # everything was read from them at the handshake (websockets needs a request there: its path stays)
        connection.request = dataclasses.replace(connection.request, headers=_NO_HEADERS)
        connection.response = None
        cp = cls(station.id, connection, response_timeout=self.settings.command_timeout)
        cp.setup(self, station, MessageRate(self.settings.messages_per_second, self.settings.message_burst))
        cp.certificate_serial = getattr(connection, "certificate_serial", None)
        self.admission.opened(address)
        old = self.connected.get(station.id)
        self.connected[station.id] = cp
        if old is not None:
            # from now on only the new connection is heard; closing the old one must not delay the new one's
            # answers (a half-open socket would hold the close handshake for close_timeout)
            log.warning("station %s connected again from %s: closing its connection from %s", station.id, address,
                        _address(old._connection))
            self.spawn(old._connection.close(1000, "replaced by a new connection"))

        def connected(conn, at=utcnow()):
            presence.station_connected(conn, station.id, self.name, at)
            return None, set()  # no session, no new event

        await self.group.work(connected)  # in a group commit with other connects and messages
        if self.bus is not None:
            # another gateway may still hold a stale socket of this station: it closes it on this notice
            await remote.announce(self.bus, station.id, self.name)
        keepalive = asyncio.create_task(self._keepalive(connection, station.id))
        try:
            await cp.start()
        except ConnectionClosed:
            pass
        finally:
            keepalive.cancel()
            self.admission.closed(address)
            if self.connected.get(station.id) is cp:
                del self.connected[station.id]
                log.info("station %s (%s) is offline: %s", station.id, address,
                         connection.close_reason or f"code {connection.close_code}")
                try:
                    await self._run(presence.station_disconnected, self.engine, station.id, self.name, utcnow())
                except Exception:  # noqa: BLE001 - the database may be going down with us; the next boot corrects it
                    log.exception("could not mark station %s offline", station.id)
                if not self._stopping:  # the stations still here share the site's limit without this one
                    site_limit.reshare_soon(self, station.site_id, utcnow())

    # -- remote commands ----------------------------------------------------------------------------------------
    async def command(self, station_id: str, name: str, payload: dict, source: str = "api",
                      by: str | None = None) -> dict:
        """Send a command; `source` (operator, api, app, roaming) and `by` say who asked, for what it starts."""
        cp = self.connected.get(station_id)
        if cp is None:
            raise commands.StationOffline(f"station {station_id} is not connected")
        request = commands.build(cp.version, name, payload)
        raise_to = security_profile.asked_for(cp.version, name, payload)
        if raise_to is not None:  # checked before it is sent: a station cut off cannot be reached to fix it
            await asyncio.to_thread(security_profile.check_raise, self.engine, station_id, raise_to,
                                    self.settings.authority is not None, utcnow())
        # noted before it is sent: the station may act on it (start, use a reservation) before its answer is in
        await cp.asking(request, source, by)
        if name in ("RemoteStartTransaction", "RequestStartTransaction"):
            connector = int(payload.get("connectorId") or payload.get("evseId") or 1)
            self._remote_starts[(station_id, connector)] = (utcnow(), source)
        unique_id = str(uuid.uuid4())
        acts_on = await asyncio.to_thread(command_sessions.acted_on, self.engine, self.recorder, station_id,
                                          cp.version, name, payload)
        cp.command_sessions[unique_id] = acts_on
        try:
            result = await self._call(cp, request, unique_id, station_id, name)
        finally:
            cp.command_sessions.pop(unique_id, None)  # no answer (timeout, disconnect): forget it
        answer = {k: v for k, v in vars(result).items() if v is not None}
        await cp.answered(request, answer, source, by)
        if raise_to is not None:
            await self._run(security_profile.asked, self.engine, station_id, raise_to, answer, by, utcnow())
        if name in ("RemoteStartTransaction", "RequestStartTransaction") and answer.get("status") != "Accepted":
            self._remote_starts.pop((station_id, connector), None)
        return answer

    async def _call(self, cp, request, unique_id: str, station_id: str, name: str):
        try:
            return await cp.send_command(request, unique_id)
        except asyncio.TimeoutError:
            raise commands.CommandTimeout(
                f"station {station_id} did not answer {name} within {self.settings.command_timeout:g} s") from None
        except ConnectionClosed:
            raise commands.StationOffline(f"station {station_id} disconnected before answering {name}") from None
        except OCPPError as exc:
            raise commands.ChargerError(f"{name}: {exc.code}: {exc.description}") from None

    async def _keepalive(self, connection: ServerConnection, station_id: str) -> None:
        """Ping every interval; no pong within the next interval means a dead link: drop the socket at once.

        (The library's own keepalive would close politely and then wait for a peer that is gone.)"""
        interval = self.settings.ping_interval
        if not interval:
            return
        while True:
            await asyncio.sleep(interval)
            try:
                pong = await connection.ping()
                await asyncio.wait_for(pong, interval)
            except asyncio.TimeoutError:
                log.warning("station %s (%s) answered no ping within %g s: link dead", station_id,
                            _address(connection), interval)
                connection.transport.abort()
                return
            except ConnectionClosed:
                return

    def taken_over(self, station_id: str, other: str) -> None:
        """The station connected to gateway `other`: its socket here is stale; close it, hear no more from it."""
        cp = self.connected.pop(station_id, None)
        if cp is None:
            return
        log.warning("station %s connected to gateway %s: closing its stale connection here (from %s)", station_id,
                    other, _address(cp._connection))
        self.spawn(cp._connection.close(1000, f"replaced by a connection to gateway {other}"))

    def is_current(self, cp) -> bool:
        """Whether this connection is its station's current one (a replaced connection is no longer heard)."""
        return self.connected.get(cp.station.id) is cp

    def take_remote_start(self, station_id: str, connector: int, at: datetime) -> str | None:
        """1.6 names no remote start in StartTransaction: one we asked for on this connector shortly before is
        taken as it. Returns who asked (operator, api, app, roaming), or None."""
        asked = self._remote_starts.pop((station_id, connector), None)
        if asked is None or abs(at - asked[0]) > REMOTE_START_WINDOW:
            return None
        return asked[1]

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
            ledger.append(session["id"], [NewEvent.of(StopRequested(by=by, reason="remote stop"), utcnow(),
                                                      EventSource.OPERATOR)])
            return ledger.refresh(session["id"]).status.value

        return await self._run(record)


_NO_HEADERS = Headers()  # shared by every connection's request once it is open; nothing writes to it


def _select_subprotocol(connection: ServerConnection, offered) -> str | None:
    """Our preferred version among those offered; none offered is let through: the handshake already refused it
    unless the station is registered as 1.6 (websockets itself would answer a bare 400)."""
    return next((p for p in SUBPROTOCOLS if p in offered), None)


def _compression(window_bits: int) -> list:
    """Deflate with a small window and the least zlib memory, or none; messages are small JSON either way."""
    if not window_bits:
        return []
    return [ServerPerMessageDeflateFactory(server_max_window_bits=window_bits, client_max_window_bits=window_bits,
                                           compress_settings={"memLevel": 1})]


def _address(connection: ServerConnection) -> str:
    remote = connection.remote_address
    return str(remote[0]) if remote else "unknown"


def _unauthorized(connection: ServerConnection, reason: str):
    response = connection.respond(HTTPStatus.UNAUTHORIZED, reason)
    response.headers["WWW-Authenticate"] = 'Basic realm="ocpp"'
    return response


def _peer_certificate(connection: ServerConnection) -> dict:
    """A client certificate the TLS layer verified against a CA we trust (profile 3), as `ssl` decodes it."""
    transport = getattr(connection, "transport", None)
    return (transport.get_extra_info("peercert") if transport is not None else None) or {}


def _over_tls(connection: ServerConnection) -> bool:
    transport = getattr(connection, "transport", None)
    return transport is not None and transport.get_extra_info("ssl_object") is not None
