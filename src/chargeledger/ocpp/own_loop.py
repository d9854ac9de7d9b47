"""The gateway on an event loop and thread of its own, for the one-process product (API and gateway together).

On one shared loop a burst of HTTP requests (40 wrong logins arriving at once) is parsed and routed before the
heartbeat that arrived in the same instant: each request costs the loop a fraction of a millisecond, and the
chargers' round trip grew six-fold during a burst. On its own loop the gateway wakes as soon as a frame arrives
and only waits for the interpreter lock, which the HTTP thread hands over within `SWITCH_INTERVAL`.

The API still calls `command` and `stop_session` as before; they run on the gateway's loop and their answers
come back to the caller's loop. Split deployments (a bus between processes) keep the gateway on the process's
loop: there it shares the process with nothing that competes.
"""

from __future__ import annotations

import asyncio
import sys
import threading

# CPython's default (5 ms) lets a busy thread keep the lock that long while a charger's frame waits; 0.5 ms
# bounds that wait at the cost of more hand-overs when both threads are busy, which is rare and cheap.
SWITCH_INTERVAL = 0.0005


class GatewayThread:
    """What the API calls `gateway`: the same calls, carried over to the gateway's own loop."""

    def __init__(self, gateway):
        self.gateway = gateway
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="ocpp-gateway", daemon=True)

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    async def _on_own_loop(self, coroutine):
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self.loop))

    # -- lifecycle ----------------------------------------------------------------------------------------------
    async def start(self, host: str, port: int) -> None:
        if sys.getswitchinterval() > SWITCH_INTERVAL:
            sys.setswitchinterval(SWITCH_INTERVAL)
        self._thread.start()
        await self._on_own_loop(self.gateway.start(host, port))

    async def stop(self) -> None:
        try:
            await self._on_own_loop(self.gateway.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            await asyncio.to_thread(self._thread.join, 10)
            if not self.loop.is_running():
                self.loop.close()

    # -- what the API asks of the gateway ---------------------------------------------------------------------
    async def command(self, *args, **kwargs) -> dict:
        return await self._on_own_loop(self.gateway.command(*args, **kwargs))

    async def stop_session(self, *args, **kwargs) -> str:
        return await self._on_own_loop(self.gateway.stop_session(*args, **kwargs))

    def __getattr__(self, name: str):
        # plain attributes (name, settings, port, connected) are read across threads as they are
        return getattr(self.gateway, name)
