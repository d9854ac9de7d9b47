"""Operator settings of the gateway; every timeout is configurable so tests can make them short."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import timedelta


@dataclass
class GatewaySettings:
    heartbeat_interval: int = 300                 # seconds, told to chargers in the BootNotification reply
    command_timeout: float = 30.0                 # seconds to wait for a charger's answer to a remote command
    settle_after: timedelta = timedelta(hours=2)  # a stopped session still plugged in settles after this
    silence_after: timedelta = timedelta(hours=1)  # an active session without any message is flagged after this
    sweep_interval: float = 60.0                  # seconds between settlement/silence sweeps
    auto_register_site: str | None = None         # unknown stations join this site instead of being refused
    meter_refresh_every: float = 10.0             # seconds between projection refreshes caused by MeterValues alone
    log_flush_every: float = 0.2                  # seconds between batched message-log writes
    ssl_context: ssl.SSLContext | None = None     # security profile 2: TLS with the operator's certificate
    backlog: int = 4096                           # pending TCP connections: thousands of chargers reconnect at once

    @staticmethod
    def tls(certfile: str, keyfile: str | None = None) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2  # OCPP security profiles require TLS 1.2 or newer
        context.load_cert_chain(certfile, keyfile)
        return context
