"""`chargeledger worker`: the outbox worker on its own (settlement, payment capture, re-pricing differences)."""

from __future__ import annotations

import signal
import threading

import typer

from ..composition import ocpi_pusher
from ..ledger import outbox
from ..storage.database import make_engine, upgrade


def register(app: typer.Typer) -> None:
    @app.command("worker")
    def worker(drain: bool = typer.Option(False, "--drain", help="handle what is committed now, then exit"),
               poll_interval: float = typer.Option(1.0, "--poll-interval", metavar="SECONDS", min=0.01,
                                                   help="look for events written by other processes this often"),
               failures: bool = typer.Option(False, "--failures", help="list failed and parked reactions, exit"),
               ) -> None:
        """Run ledger reactions from the outbox: resumes at its checkpoint after a restart."""
        engine = make_engine()
        upgrade(engine)
        if failures:
            for f in outbox.failures(engine):
                state = "PARKED" if f["parked"] else f"retry at {f['next_attempt_at']:%Y-%m-%dT%H:%M:%SZ}"
                typer.echo(f"event {f['event_id']} session {f['session_id']} {f['kind']} {f['consumer']}: "
                           f"{f['attempts']} attempts, {state}: {f['last_error']}")
            return
        if drain:
            handled = outbox.drain(engine)
            typer.echo(f"handled {handled} events; {len(outbox.failures(engine, parked=True))} parked")
            return
        stopped = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopped.set())
        running = outbox.Worker(engine, poll_interval).start()
        pusher = ocpi_pusher(engine)
        typer.echo(f"outbox worker running (poll every {poll_interval:g} s); Ctrl-C stops it")
        stopped.wait()
        running.stop()
        if pusher is not None:
            pusher.stop()
