"""Diagnostics and logs over FTP, the upload transport most 1.6 chargers implement: an optional FTP server
(pyftpdlib) whose only accounts are the one-time upload tokens of station_files.

The location we send is ftp://STATION:TOKEN@host:port/ - the station id as user, the token as password, so each
request has its own credentials. A login is accepted while the token is unspent and unexpired; the account may only
store files (and change into or list its empty folder, which some chargers do first). A stored file goes through
station_files.receive, as an HTTP upload does, which spends the token; the file is then deleted from the disk.

pyftpdlib runs its own I/O loop: on a thread of its own here, so the gateway's and the API's event loop never wait
on a file transfer. The database work per upload (one token check at login, one insert at the end) is short."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from hashlib import sha256
from pathlib import Path
from urllib.parse import quote

from pyftpdlib.authorizers import AuthenticationFailed
from pyftpdlib.handlers import DTPHandler, FTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer
from sqlalchemy import Engine

from . import station_files

log = logging.getLogger(__name__)
PERMISSIONS = "elw"  # change into, list and store: nothing to read back, rename or delete


@dataclass
class FtpSettings:
    port: int                            # where the FTP control connection listens
    host: str = "127.0.0.1"              # the address it binds to
    public_host: str | None = None       # how stations reach it (a name or address), if not `host`
    passive_ports: range | None = None   # data connections (PASV) within this range, for a firewall
    max_upload_bytes: int = 32 * 1024 * 1024
    failed_login_delay: float = 3.0      # seconds before a wrong login is answered: guessing tokens stays slow


class _Tokens:
    """pyftpdlib's authorizer interface, answered from station_files' upload tokens."""

    def __init__(self, engine: Engine, root: Path):
        self.engine, self.root = engine, root

    def validate_authentication(self, username: str, password: str, handler) -> None:
        if not station_files.expects(self.engine, username, password, datetime.now(timezone.utc)):
            raise AuthenticationFailed("no upload is expected with these credentials")

    def get_home_dir(self, username: str) -> str:
        # a folder per station, named by a hash: a station id may hold characters a path must not
        home = self.root / sha256(username.encode()).hexdigest()[:32]
        home.mkdir(exist_ok=True)
        return str(home)

    def has_user(self, username: str) -> bool:
        return True  # whether it may log in is the token's to say

    def has_perm(self, username: str, perm: str, path: str | None = None) -> bool:
        return perm in PERMISSIONS

    def get_perms(self, username: str) -> str:
        return PERMISSIONS

    def get_msg_login(self, username: str) -> str:
        return "send the file"

    def get_msg_quit(self, username: str) -> str:
        return "goodbye"

    def impersonate_user(self, username: str, password: str) -> None:
        pass

    def terminate_impersonation(self, username: str) -> None:
        pass


class _Limited(DTPHandler):
    """A data connection that stops a file larger than the upload limit (as the HTTP endpoint answers 413)."""

    max_bytes = 32 * 1024 * 1024

    def handle_read(self):
        super().handle_read()
        if self.receive and self.tot_bytes_received > self.max_bytes:
            self._resp = (f"552 the file exceeds {self.max_bytes} bytes", log.info)
            self.close()  # not finished: pyftpdlib calls on_incomplete_file_received

    handle_read_event = handle_read


class _Uploads(FTPHandler):
    engine: Engine

    def on_file_received(self, file: str) -> None:
        try:
            content = Path(file).read_bytes()
            stored = station_files.receive(self.engine, self.username, self.password, os.path.basename(file),
                                           content, datetime.now(timezone.utc))
            if stored is None:  # the token was spent or expired while the file came in
                log.warning("FTP upload from %s refused: no upload is expected any more", self.username)
        finally:
            Path(file).unlink(missing_ok=True)

    def on_incomplete_file_received(self, file: str) -> None:
        Path(file).unlink(missing_ok=True)


class FtpUploads:
    """The FTP upload location: start() on a thread, location() for a request, stop()."""

    def __init__(self, engine: Engine, settings: FtpSettings):
        self.engine, self.settings = engine, settings
        self._root = Path(tempfile.mkdtemp(prefix="chargeledger-ftp-"))
        limited = type("Limited", (_Limited,), {"max_bytes": settings.max_upload_bytes})
        handler = type("Uploads", (_Uploads,), {
            "engine": engine, "authorizer": _Tokens(engine, self._root), "dtp_handler": limited,
            "passive_ports": settings.passive_ports, "banner": "ChargeLedger uploads",
            "auth_failed_timeout": settings.failed_login_delay, "permit_foreign_addresses": False})
        self._server = FTPServer((settings.host, settings.port), handler, ioloop=IOLoop())
        self.port = self._server.address[1]  # the bound port (0 asks for any free one)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ftp-uploads", daemon=True)

    def start(self) -> "FtpUploads":
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            log.info("FTP uploads on %s:%s", self.settings.host, self.port)
            while not self._stopping.is_set():  # one poll at a time, so stop() is seen within 0.2 s
                self._server.ioloop.loop(timeout=0.2, blocking=False)
        finally:
            self._server.close_all()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        shutil.rmtree(self._root, ignore_errors=True)

    def location(self, station_id: str, token: str) -> str:
        host = self.settings.public_host or self.settings.host
        return f"ftp://{quote(station_id, safe='')}:{token}@{host}:{self.port}/"
