"""The check before every request to a partner: its URL is one the operator allows (settings `ocpi`), so a partner
cannot make the server call an internal address (server-side request forgery). See ocpi/settings.py for why.

The host is resolved here and each address checked; redirects are never followed (httpx's default), so the URL
checked is the URL called. A name that resolves to a public address now and a private one a moment later (DNS
rebinding) is not caught: the operator's allowed_hosts is the defence against a partner-controlled name.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from functools import lru_cache
from urllib.parse import urlsplit

from ..settings import CONFIG_ENV, current
from .settings import OcpiSettings

_SOURCES = (CONFIG_ENV, "CHARGELEDGER_OCPI_ALLOWED_HOSTS", "CHARGELEDGER_OCPI_ALLOWED_NETWORKS")


class UrlRefused(ValueError):
    """`retry`: the name did not resolve (perhaps for now); else the URL is not allowed at all."""

    def __init__(self, message: str, retry: bool = False):
        super().__init__(message)
        self.retry = retry


def _host_allowed(host: str, patterns: list[str]) -> bool:
    return any(p == "*" or p == host or p.startswith("*.") and host.endswith(p[1:]) for p in patterns)


def _address_allowed(address: str, networks: list[str]) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if ip.is_global and not ip.is_multicast:
        return True
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


def _settings() -> OcpiSettings:
    """The `ocpi` section, read again only when its sources change: outside `serve`, current() parses the whole
    environment (about 3 ms), and the pusher asks before every push."""
    return _read(tuple(os.environ.get(name) for name in _SOURCES))


@lru_cache(maxsize=16)
def _read(_sources: tuple) -> OcpiSettings:
    return current().ocpi


def check(url: str, settings: OcpiSettings | None = None) -> None:
    """Raises UrlRefused unless the URL is http(s), names an allowed host and resolves only to allowed addresses."""
    settings = settings or _settings()
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UrlRefused(f"{url!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlRefused(f"{url!r}: only http(s) URLs with a host are called")
    if parts.username or parts.password:
        raise UrlRefused(f"{parts.hostname}: a URL with credentials in it is not called")
    host = parts.hostname.lower().rstrip(".")
    if not _host_allowed(host, settings.allowed_hosts):
        raise UrlRefused(f"{host} is not an allowed partner host (settings ocpi.allowed_hosts)")
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlRefused(f"{host} does not resolve: {exc}", retry=True) from None
    refused = sorted(a for a in found if not _address_allowed(a, settings.allowed_networks))
    if refused:
        raise UrlRefused(f"{host} is {', '.join(refused)}: not a public address, and not in an allowed network "
                         f"(settings ocpi.allowed_networks)")
