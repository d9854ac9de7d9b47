"""DataTransfer from stations, routed by vendorId (and messageId) to the extension that understands it.

An extension registers with `@vendor("com.example", "MessageId")` (messageId None: all of that vendor's messages)
and returns (status, data). A vendor nobody registered is answered UnknownVendorId, a known vendor's unknown message
UnknownMessageId, as OCPP 1.6 (4.3) and 2.0.1 (P01) say; the frame itself is always in the message log.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

Handler = Callable[[Any, str | None, Any], Awaitable[tuple[str, Any]]]
_HANDLERS: dict[tuple[str, str | None], Handler] = {}


def vendor(vendor_id: str, message_id: str | None = None):
    def register(fn: Handler) -> Handler:
        _HANDLERS[(vendor_id, message_id)] = fn
        return fn
    return register


async def route(station, vendor_id: str, message_id: str | None, data: Any) -> tuple[str, Any]:
    """(status, data) for a station's DataTransfer."""
    handler = _HANDLERS.get((vendor_id, message_id)) or _HANDLERS.get((vendor_id, None))
    if handler is not None:
        return await handler(station, message_id, data)
    if any(v == vendor_id for v, _ in _HANDLERS):
        return "UnknownMessageId", None
    return "UnknownVendorId", None


@vendor("org.chargeledger", "Echo")
async def _echo(station, message_id, data):
    """Our own vendor id: lets a station (or a test lab) check the round trip of a DataTransfer."""
    return "Accepted", data
