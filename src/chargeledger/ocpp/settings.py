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
    stop_grace: timedelta = timedelta(minutes=15)  # the vehicle left but no stop came: closed after this
    sweep_interval: float = 60.0                  # seconds between settlement/silence sweeps
    auto_register_site: str | None = None         # unknown stations join this site instead of being refused
    auto_register_status: str = "Pending"         # … and wait for the operator's approval (or: Accepted at once)
    boot_retry_interval: int = 60                 # seconds a Pending or Rejected station waits before booting again
    meter_refresh_every: float = 10.0             # seconds between projection refreshes caused by MeterValues alone
    # a token may be in several transactions at once (a fleet card); else a second one is answered ConcurrentTx
    concurrent_transactions: bool = False
    log_flush_every: float = 0.2                  # seconds between batched message-log writes
    ssl_context: ssl.SSLContext | None = None     # security profile 2: TLS with the operator's certificate
    tls_port: int | None = None                   # wss here, plain ws (profile 1) on the main port; None: one port
    backlog: int = 4096                           # pending TCP connections: thousands of chargers reconnect at once
    # Limits against faulty or hostile peers (docs/security.md, "OCPP"):
    ping_interval: float = 30.0                   # seconds between websocket pings; no pong within one more: dead
    max_frame_bytes: int = 1 << 20                # a larger websocket message closes the connection (1009)
    handshake_timeout: float = 10.0               # seconds for TCP + TLS + HTTP upgrade, then the socket is closed
    handshakes_per_address: int = 8               # concurrent handshakes from one address; more get 503
    connections_per_address: int = 256            # open connections from one address (a NAT of chargers); more: 429
    messages_per_second: float = 10.0             # per connection, sustained; beyond the burst a Call gets a CallError
    message_burst: int = 100
    auth_workers: int = 1                         # concurrent station password checks (Argon2), at low priority
    auth_waiting: int = 64                        # station password checks waiting their turn; more: 503 at once
    # permessage-deflate, off: zlib's state was most of a connection's memory (69 KB with the library's defaults,
    # 44 KB at 9 bits, 27 KB off; docs/deploy.md) and OCPP frames are small. 9-15: deflate with that window.
    compression_window_bits: int = 0
    # the operator's CA (pki/authority.py), from the settings: signs the stations' certificate requests, answers
    # OCSP for them; None: requests are kept for the operator
    authority: object | None = None
    station_certificate_days: int = 365
    certificate_renew_before: timedelta = timedelta(days=30)  # a connected station is asked for a new request then

    @staticmethod
    def tls(certfile: str, keyfile: str | None = None, client_ca: str | None = None) -> ssl.SSLContext:
        """Profile 2 (server certificate); with `client_ca` also profile 3: a client certificate issued by that CA,
        for the station whose id it names, authenticates the station."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2  # OCPP security profiles require TLS 1.2 or newer
        context.load_cert_chain(certfile, keyfile)
        if client_ca:
            context.load_verify_locations(client_ca)
            context.verify_mode = ssl.CERT_OPTIONAL  # profile 2 stations (password over TLS) share the port
        return context

    def trust_station_ca(self, pem: str) -> None:
        """Certificates our own CA issues to stations are client certificates for profile 3 on the TLS port."""
        if self.ssl_context is not None:
            self.ssl_context.load_verify_locations(cadata=pem)
            self.ssl_context.verify_mode = ssl.CERT_OPTIONAL  # profile 2 stations share the port
