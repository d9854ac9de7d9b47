"""The HTTP server's limits and trust settings: defaults that hold on the internet, each overridable by environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

ENV_PREFIX = "CHARGELEDGER_HTTP_"


@dataclass
class HttpSettings:
    max_body_bytes: int = 1024 * 1024          # 413 beyond this; no API route takes more than a tariff's JSON
    max_upload_bytes: int = 32 * 1024 * 1024  # a station's diagnostics or log upload (/uploads/…)
    header_timeout: float = 10.0               # a request's headers must arrive within this, or the socket closes
    keep_alive_timeout: float = 5.0            # an idle keep-alive connection closes after this
    request_timeout: float = 60.0              # no answer begun by then: 503 (above the 30 s OCPP command wait)
    max_connections: int = 200                 # beyond this uvicorn answers 503 at once
    trusted_proxy: str = ""                    # proxy address(es) whose X-Forwarded-For/-Proto are believed
    login_failures_per_account: int = 5        # failed logins per email within the window, then 429
    login_failures_per_address: int = 20       # failed logins per client address within the window, then 429
    login_window: float = 300.0                # seconds of the sliding window
    login_workers: int = 1                     # password checks at once: Argon2 takes a core each; chargers need one
    login_waiting: int = 64                    # password checks waiting their turn; more: 503 at once

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> "HttpSettings":
        """CHARGELEDGER_HTTP_MAX_BODY_BYTES=… and so on; explicit overrides (command-line options) win."""
        environ = os.environ if environ is None else environ
        values = {}
        for field in fields(cls):
            raw = environ.get(ENV_PREFIX + field.name.upper())
            if raw is not None and raw.strip() != "":
                kind = type(getattr(cls, field.name))
                try:
                    values[field.name] = kind(raw.strip())
                except ValueError:
                    raise ValueError(f"{ENV_PREFIX + field.name.upper()}={raw!r} is not a {kind.__name__}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, (int, float)) and value <= 0:
                raise ValueError(f"{field.name} must be positive, not {value}")
