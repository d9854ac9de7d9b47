"""The uvicorn server for the API and pages, with the connection limits of HttpSettings.

uvicorn closes idle keep-alive connections but sets no deadline on a request's headers: a client that connects
and sends nothing, or half a request line, holds a socket forever. The protocol below closes it after
`header_timeout` seconds.
"""

from __future__ import annotations

import asyncio

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .settings import HttpSettings


class HeaderDeadlineProtocol(HttpToolsProtocol):
    header_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.logger.info("closing %s: no complete request headers within %g s", self.client, self.header_timeout)
            self.transport.close()


def protocol_for(settings: HttpSettings) -> type[HeaderDeadlineProtocol]:
    return type("HeaderDeadline", (HeaderDeadlineProtocol,), {"header_timeout": settings.header_timeout})


def server_config(app, settings: HttpSettings, host: str = "127.0.0.1", port: int = 0,
                  **options) -> uvicorn.Config:
    """uvicorn's Config with our limits; proxy headers are believed only from the named trusted proxy."""
    return uvicorn.Config(
        app, host=host, port=port, http=protocol_for(settings),
        timeout_keep_alive=settings.keep_alive_timeout,  # type: ignore[arg-type]  # a float works in call_later
        limit_concurrency=settings.max_connections,
        proxy_headers=bool(settings.trusted_proxy), forwarded_allow_ips=settings.trusted_proxy or None,
        server_header=False, **options)
