"""`chargeledger worker`: the worker role on its own, as `serve --role worker` runs it (outbox reactions, OCPI
pushes, report jobs, the bus relay and wake-ups), for the other half of a `serve --no-worker`; and two one-shot
looks at the outbox (`--drain`, `--failures`)."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from ..composition import Process
from ..ledger import outbox
from ..settings import Settings
from ..storage.database import make_engine, upgrade
from .serve import start


def register(app: typer.Typer) -> None:
    @app.command("worker")
    def worker(drain: bool = typer.Option(False, "--drain", help="handle what is committed now, then exit"),
               poll_interval: float = typer.Option(None, "--poll-interval", metavar="SECONDS", min=0.01,
                                                   help="look for work from other processes this often (default: "
                                                        "the worker_poll_interval setting, 1)"),
               failures: bool = typer.Option(False, "--failures", help="list failed and parked reactions, exit"),
               ) -> None:
        """Run the worker role (ledger reactions, OCPI pushes, report jobs): resumes at its checkpoint after a
        restart. The same as `serve --role worker`, but also allowed without a bus beside a `serve --no-worker` on
        one machine, where it finds new work at its poll."""
        if not (failures or drain):
            try:
                settings = Settings()
            except (ValidationError, ValueError) as exc:
                raise typer.BadParameter(str(exc)) from None
            if poll_interval is not None:
                settings.worker_poll_interval = poll_interval
            start(Process(settings, frozenset({"worker"}), beside_serve=True))
            return
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
