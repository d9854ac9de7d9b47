"""Diagnostics and logs a station uploads to us, and firmware it installs: what we asked, what it reports.

A GetDiagnostics (1.6) or GetLog names a location on our upload endpoint (HTTP, or FTP: ftp_uploads.py) with a
one-time token; only its SHA-256 is kept, so the token in a station's configuration or a log line is the only copy.
The first file that arrives with it is stored and the token is spent. Status notifications (firmware, diagnostics, signed firmware, log) are the
station's current state per topic."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from ..storage.tables import station_files
from . import station_state

UPLOADS = "uploads"
FIRMWARE, DIAGNOSTICS = "firmware", "diagnostics"
TOKEN_LIFETIME = timedelta(days=2)  # a station may upload long after it was asked (retries, a long log window)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_upload(engine: Engine, station_id: str, kind: str, at: datetime) -> str:
    """A token for one upload of `kind` by this station; it goes into the location we send."""
    token = secrets.token_urlsafe(24)
    slots = {k: v for k, v in (station_state.recall(engine, station_id, UPLOADS) or {}).items()
             if datetime.fromisoformat(v["until"]) > at}
    slots[_digest(token)] = {"kind": kind, "until": (at + TOKEN_LIFETIME).isoformat()}
    station_state.remember(engine, station_id, UPLOADS, slots, at)
    return token


def expects(engine: Engine, station_id: str, token: str, at: datetime) -> bool:
    """Whether an upload with this token is awaited from this station (checked at an FTP login; not spent)."""
    slot = (station_state.recall(engine, station_id, UPLOADS) or {}).get(_digest(token))
    return slot is not None and datetime.fromisoformat(slot["until"]) > at


def receive(engine: Engine, station_id: str, token: str, file_name: str, content: bytes, at: datetime) -> dict | None:
    """Store an uploaded file if the token is this station's and unspent; None otherwise."""
    slots = station_state.recall(engine, station_id, UPLOADS) or {}
    slot = slots.pop(_digest(token), None)
    if slot is None or datetime.fromisoformat(slot["until"]) <= at:
        return None
    file_name = (file_name or f"{slot['kind']}-{at:%Y%m%dT%H%M%SZ}").rsplit("/", 1)[-1][:255]
    row = {"station_id": station_id, "kind": slot["kind"], "file_name": file_name, "content": content,
           "size": len(content), "sha256": hashlib.sha256(content).hexdigest(), "received_at": at}
    with engine.begin() as conn:
        file_id = conn.execute(station_files.insert().values(**row)).inserted_primary_key[0]
    station_state.remember(engine, station_id, UPLOADS, slots, at)
    remember(engine, station_id, slot["kind"], {"uploaded_file_id": file_id, "uploaded_at": at.isoformat()}, at)
    return {"id": file_id, **{k: v for k, v in row.items() if k != "content"}}


def files_of(engine: Engine, station_id: str) -> list[dict]:
    c = station_files.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.id, c.kind, c.file_name, c.size, c.sha256, c.received_at)
                            .where(c.station_id == station_id).order_by(c.id.desc())).all()
    return [dict(r._mapping) for r in rows]


def file_content(engine: Engine, station_id: str, file_id: int):
    with engine.connect() as conn:
        return conn.execute(select(station_files.c.file_name, station_files.c.content).where(
            station_files.c.station_id == station_id, station_files.c.id == file_id)).first()


def remember(engine: Engine, station_id: str, topic: str, values: dict, at: datetime) -> None:
    """Merge what we learnt into the topic's current state (what we asked, then each status as it comes)."""
    held = station_state.recall(engine, station_id, topic) or {}
    station_state.remember(engine, station_id, topic, {**held, **values}, at)
