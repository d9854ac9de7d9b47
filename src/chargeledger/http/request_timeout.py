"""A request that has not begun its answer within the limit gets 503, so slow bodies or stuck handlers end.

The clock stops once the response starts: a long download that is streaming is not cut off.
"""

from __future__ import annotations

import asyncio

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestTimeout:
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = asyncio.Event()
        abandoned = False

        async def tracking_send(message: Message) -> None:
            if abandoned:
                return  # the 503 went out; a handler finishing late must not write a second answer
            if message["type"] == "http.response.start":
                started.set()
            await send(message)

        handler = asyncio.ensure_future(self.app(scope, receive, tracking_send))
        begun = asyncio.ensure_future(started.wait())
        try:
            await asyncio.wait({handler, begun}, timeout=self.seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            begun.cancel()
        if handler.done() or started.is_set():
            await handler
            return
        abandoned = True
        # Not awaited: a handler in a worker thread finishes on its own time; its answer is dropped.
        handler.add_done_callback(_forget)
        handler.cancel()
        await JSONResponse({"detail": f"the request took longer than {self.seconds:g} s"}, 503,
                           headers={"Retry-After": "5", "Connection": "close"})(scope, receive, send)


def _forget(task: asyncio.Future) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not warn about an abandoned handler's error
