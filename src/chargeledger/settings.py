"""The one settings object of a ChargeLedger process: environment (CHARGELEDGER_…) over an optional TOML file
(CHARGELEDGER_CONFIG or `chargeledger --config FILE`) over defaults. The composition root (composition.py) builds
every adapter from it; modules deep inside (reports, the simulated payment gateway) ask `current()`.

Sections keep their historical variable names: CHARGELEDGER_HTTP_MAX_BODY_BYTES is `http.max_body_bytes`.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, field_validator
from pydantic_settings import (BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict,
                               TomlConfigSettingsSource)

from .http.settings import HttpSettings
from .ocpi.settings import OcpiSettings

ROLES = ("gateway", "api", "worker")
Role = Literal["gateway", "api", "worker"]
CONFIG_ENV = "CHARGELEDGER_CONFIG"
_NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHARGELEDGER_", env_nested_delimiter="_", env_nested_max_split=1,
                                      extra="forbid", validate_default=True)

    database_url: str = "sqlite:///var/chargeledger.sqlite3"
    bus_url: str | None = None            # nats://host:4222 — connects gateway, API and worker processes
    process_name: str | None = None       # how this process appears as a station's `gateway`; default host:pid
    command_timeout: float = Field(30.0, gt=0)  # seconds a remote command may take, end to end across processes
    worker_poll_interval: float = Field(1.0, gt=0)  # seconds between a worker's looks for work it was not told of
    report_dir: Path | None = None        # report job files; default: the system's temporary folder
    node_modules: Path = _NODE_MODULES    # the chart library for the web pages
    simulated_gateway_delay: float = Field(0.0, ge=0)  # seconds per capture/refund of the simulated payment gateway
    # the operator's certificate authority (PEM files; `chargeledger ca create` makes one for a test lab): it signs
    # the stations' certificate signing requests and answers OCSP for what it issued (docs/security.md, PKI)
    ca_certificate: Path | None = None
    ca_key: Path | None = None
    station_certificate_days: int = Field(365, gt=0)  # validity of a station certificate the CA issues
    certificate_renew_days: int = Field(30, ge=0)  # a connected station is asked to renew this long before expiry
    # an FTP location for diagnostics and log uploads, served with the API (ocpp/ftp_uploads.py): its port, how
    # stations reach it if not the serve host, and the range of its passive data ports (a firewall's "60000-60099")
    ftp_port: int | None = Field(None, ge=0, le=65535)
    ftp_public_host: str | None = None
    ftp_passive_ports: str | None = Field(None, pattern=r"^\d{1,5}-\d{1,5}$")
    http: HttpSettings = Field(default_factory=HttpSettings)
    ocpi: OcpiSettings = Field(default_factory=OcpiSettings)  # CHARGELEDGER_OCPI_ALLOWED_HOSTS / _NETWORKS

    @field_validator("http", mode="before")
    @classmethod
    def _http_section(cls, value):
        """The section's own parser (with its error messages naming the variable), from whichever source."""
        if isinstance(value, dict):
            return HttpSettings.from_env({f"CHARGELEDGER_HTTP_{k.upper()}": str(v) for k, v in value.items()})
        return value

    @field_validator("bus_url")
    @classmethod
    def _bus_is_nats(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if urlsplit(value).scheme not in ("nats", "tls"):
            raise ValueError(f"the bus is NATS: expected nats://host:port, not {value!r}")
        return value

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = os.environ.get(CONFIG_ENV)
        if path:
            if not Path(path).is_file():
                raise ValueError(f"{CONFIG_ENV}={path}: no such file")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def ftp_passive_range(self) -> range | None:
        if not self.ftp_passive_ports:
            return None
        low, high = (int(part) for part in self.ftp_passive_ports.split("-"))
        return range(low, high + 1)

    @property
    def on_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def shown(self) -> dict[str, object]:
        """Every effective setting, flattened, with passwords and tokens masked (for `chargeledger config show`)."""
        values = self.model_dump()
        sections = {name: values.pop(name) for name in ("http", "ocpi")}
        shown = {name: _masked(name, value) for name, value in values.items()}
        for section, items in sections.items():
            shown.update({f"{section}.{name}": value for name, value in items.items()})
        return shown


def process_name(settings: Settings) -> str:
    """How this process appears as a station's `gateway` and on the bus: the setting, else host:pid."""
    return settings.process_name or f"{socket.gethostname()}:{os.getpid()}"


def refuse_roles(settings: Settings, roles: set[str]) -> str | None:
    """Why these roles cannot run with these settings, or None. One process with every role needs nothing more;
    split roles must share a server database and reach each other over the bus."""
    if set(roles) == set(ROLES):
        return None
    named = ", ".join(sorted(roles))
    if not settings.bus_url:
        return (f"--role {named} without the other roles needs a bus to reach them: set "
                f"CHARGELEDGER_BUS_URL=nats://host:4222 (or run without --role: every role in one process)")
    if settings.on_sqlite:
        return (f"--role {named} without the other roles needs a database they share: SQLite is one process's "
                f"file; set CHARGELEDGER_DATABASE_URL=postgresql+psycopg://… (or run without --role)")
    return None


def _masked(name: str, value):
    if value is None:
        return None
    if name.endswith("_url"):
        return mask_url(str(value))
    if isinstance(value, Path):
        return str(value)
    return value


def mask_url(url: str) -> str:
    """The URL with its password (or its token, when the user part is one) replaced by ***."""
    parts = urlsplit(url)
    if not parts.password and not parts.username:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***" if parts.password else "***"
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


_in_use: Settings | None = None


def use(settings: Settings) -> Settings:
    """The composition root's settings become what `current()` answers in this process."""
    global _in_use
    _in_use = settings
    return settings


def current() -> Settings:
    """The settings the process was started with; library use without a composition root reads them afresh."""
    return _in_use if _in_use is not None else Settings()
