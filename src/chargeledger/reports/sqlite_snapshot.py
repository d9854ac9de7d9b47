"""A private, consistent copy of the live SQLite database for a reader that brings its own SQLite library.

The ADBC driver bundles a SQLite of its own. Two SQLite libraries in one process must never open the same file:
POSIX locks belong to the process, not to the library, so when the second library closes its connection it
believes it was the last one, checkpoints, deletes the WAL and its shared memory, and the application's later
commits go to a deleted file (acknowledged writes lost on the next kill, "disk I/O error", SIGBUS). The copy is
made through the application's own engine (SQLite's online backup, one read transaction, so it is consistent)
into a folder of its own next to the database, and removed when the reader is done.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy import Engine

PREFIX = ".report-snapshot-"


class Snapshot:
    """A copy of the engine's SQLite database; `path` is the file to open, close() removes it."""

    def __init__(self, engine: Engine):
        # beside the database: the same file system has room for it, where /tmp may be a small RAM disk (an
        # in-memory database, which belongs to its connection, is small: /tmp it is)
        self.folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=_beside(engine)))
        self.path = str(self.folder / "snapshot.sqlite3")
        try:
            copy = sqlite3.connect(self.path)
            raw = engine.raw_connection()
            try:
                raw.driver_connection.backup(copy)  # all pages in one step: one read transaction
            finally:
                raw.close()
                copy.close()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _beside(engine: Engine) -> Path | None:
    """The folder of the engine's SQLite database file; None for an in-memory one."""
    database = engine.url.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        return None
    return Path(database).resolve().parent


def remove_leftovers(engine: Engine) -> None:
    """Snapshots left by a process killed while reading (called when the server starts; a no-op elsewhere)."""
    folder = _beside(engine) if engine.dialect.name == "sqlite" else None
    for left in folder.glob(PREFIX + "*") if folder else ():
        shutil.rmtree(left, ignore_errors=True)
