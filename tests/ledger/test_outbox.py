"""The outbox on SQLite and PostgreSQL: every committed event is handled once, in order, from a durable checkpoint
(a reaction set off by several events of one session in a row runs once for them); failures are retried then
parked; PostgreSQL's uncommitted ids (holes) are never passed."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from chargeledger.domain.events import EventKind, EventSource
from chargeledger.ledger import Ledger, NewEvent, SessionRef, outbox
from chargeledger.storage.tables import outbox_failures
from tests.builders import add_network, at

REF = SessionRef("CP-1:tx:1", "ACME", "ACME-SITE", "CP-1", "NL*ACM*ECP1*1", 1)
OTHER = SessionRef("CP-1:tx:2", "ACME", "ACME-SITE", "CP-1", "NL*ACM*ECP1*1", 1)


def _write(engine, n: int, key: str = "k", ref: SessionRef = REF) -> int:
    """Append n events without notifying anyone, as a writer whose process died before its notice."""
    ledger = Ledger(engine)
    with engine.begin() as conn:
        session_id, _ = ledger.open_session(ref, at(0), conn)
        ledger.append(session_id, [NewEvent(EventKind.DRIVER_RATED, at(i), EventSource.OPERATOR, {"stars": 5},
                                            f"{key}:{i}") for i in range(n)], conn)
    return session_id


class Seen:
    def __init__(self, fail_times: int = 0, name: str = "seen"):
        self.__qualname__ = name  # the consumer's name in outbox_failures
        self.calls: list[int] = []
        self.fail_times = fail_times

    def __call__(self, engine, session_id):
        if self.fail_times:
            self.fail_times -= 1
            raise RuntimeError("gateway down")
        self.calls.append(session_id)


def test_each_committed_event_once_and_a_restart_resumes(engine):
    add_network(engine)
    seen = Seen()
    session_id = _write(engine, 3)
    other = _write(engine, 1, key="other", ref=OTHER)
    assert outbox.backlog(engine) == 4
    assert outbox.drain(engine, lambda kind: [seen]) == 4
    # the three events of one session in a row set the reaction off once: it reads the session as it is then
    assert seen.calls == [session_id, other] and outbox.backlog(engine) == 0
    # a new process (new drain) starts from the stored checkpoint: nothing twice, the new event once
    assert outbox.drain(engine, lambda kind: [seen]) == 0
    _write(engine, 1, key="later")
    assert outbox.drain(engine, lambda kind: [seen]) == 1
    assert seen.calls == [session_id, other, session_id]


def test_failures_are_retried_then_parked_and_the_line_goes_on(engine):
    add_network(engine)
    flaky, broken = Seen(fail_times=1, name="flaky"), Seen(fail_times=99, name="broken")
    _write(engine, 1)
    _write(engine, 1, key="other", ref=OTHER)
    outbox.drain(engine, lambda kind: [flaky, broken])
    assert len(flaky.calls) == 1 and outbox.backlog(engine) == 0  # the second event went on despite the first
    assert {(f["attempts"], f["parked"]) for f in outbox.failures(engine)} == {(1, False)}
    for attempt in range(2, outbox.MAX_ATTEMPTS + 1):
        with engine.begin() as conn:  # make the backoff fall due now
            conn.execute(update(outbox_failures).values(next_attempt_at=at(0)))
        outbox.drain(engine, lambda kind: [flaky, broken])
    assert len(flaky.calls) == 2  # retried once, then succeeded, its failure row removed
    parked = outbox.failures(engine, parked=True)
    broken_name = "tests.ledger.test_outbox.broken"
    assert [(f["attempts"], f["consumer"]) for f in parked] == [(outbox.MAX_ATTEMPTS, broken_name)] * 2
    assert "gateway down" in parked[0]["last_error"]
    with engine.begin() as conn:
        conn.execute(update(outbox_failures).values(next_attempt_at=at(0)))
    outbox.drain(engine, lambda kind: [broken])
    assert outbox.failures(engine, parked=True)[0]["attempts"] == outbox.MAX_ATTEMPTS  # poison is not retried


def test_backoff_grows_and_is_capped():
    assert [outbox.backoff(n) for n in (1, 2, 3)] == [timedelta(seconds=1), timedelta(seconds=4),
                                                      timedelta(seconds=16)]
    assert outbox.backoff(50) == timedelta(seconds=300)


@pytest.mark.postgres
def test_an_uncommitted_lower_id_holds_the_reader_back(postgres_engine):
    engine = postgres_engine
    add_network(engine)
    ledger = Ledger(engine)
    seen = Seen()
    slow = engine.connect()
    tx = slow.begin()
    early, _ = ledger.open_session(SessionRef("CP-1:tx:slow", "ACME", "ACME-SITE", "CP-1"), at(0), slow)
    ledger.append(early, [NewEvent(EventKind.DRIVER_RATED, at(0), EventSource.OPERATOR, {}, "slow:0")], slow)
    later = _write(engine, 1, key="fast")  # a higher id, committed first
    assert outbox.drain(engine, lambda kind: [seen]) == 0  # not passed while the lower id may still commit
    tx.commit()
    slow.close()
    assert outbox.drain(engine, lambda kind: [seen]) == 2
    assert sorted(seen.calls) == sorted([early, later])


def test_a_session_s_events_are_read_in_its_order_when_an_older_transaction_writes_last(postgres_engine):
    """A batch transaction takes its id writing for one session, then writes for a second session after a younger
    transaction did: the second session's events still come out in their order (CI caught the relay inverting)."""
    engine = postgres_engine
    add_network(engine)
    ledger = Ledger(engine)
    second = _write(engine, 1, key="second:start", ref=OTHER)
    batch = engine.connect()
    tx = batch.begin()
    first, _ = ledger.open_session(REF, at(0), batch)  # the batch's transaction id is taken here
    ledger.append(first, [NewEvent(EventKind.DRIVER_RATED, at(1), EventSource.OPERATOR, {}, "batch:first")], batch)
    _write(engine, 1, key="second:younger", ref=OTHER)  # a younger transaction writes for the second session
    ledger.append(second, [NewEvent(EventKind.DRIVER_RATED, at(2), EventSource.OPERATOR, {}, "batch:second")],
                  batch)
    tx.commit()
    batch.close()
    with engine.connect() as conn:
        read = [e.id for e in outbox.pending(conn, (0, 0)) if e.session_id == second]
    assert len(read) == 3 and read == sorted(read)  # ids follow the session's seq, and so does the reading order


def test_the_worker_thread_reacts_soon_after_the_notice(engine):
    add_network(engine)
    worker = outbox.Worker(engine, poll_interval=30).start()
    try:
        Ledger(engine).record(REF, [NewEvent(EventKind.DRIVER_RATED, at(0), EventSource.OPERATOR, {}, "w:1")])
        deadline = time.monotonic() + 5
        while outbox.backlog(engine) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert outbox.backlog(engine) == 0
    finally:
        worker.stop()


@pytest.mark.postgres
def test_events_held_back_by_an_older_transaction_go_through_when_it_commits_not_at_the_poll(postgres_engine):
    """The writer's notice comes while an older transaction (one that stores no event, so notifies nobody) holds
    its events behind the horizon: the worker takes them when that transaction commits, not 30 s later."""
    from sqlalchemy import text

    engine = postgres_engine
    add_network(engine)
    worker = outbox.Worker(engine, poll_interval=30).start()
    older = engine.connect()

    def checkpoint():
        with engine.connect() as conn:
            return outbox.position(conn)
    try:
        time.sleep(0.3)  # the worker's first round, on nothing
        before = checkpoint()
        older.execute(text("SELECT pg_current_xact_id()"))  # a transaction id, older than the event's
        _write(engine, 1)
        outbox.committed(engine)  # the writer's notice, while `older` still runs
        time.sleep(0.5)
        assert checkpoint() == before  # held back by `older`
        older.commit()
        deadline = time.monotonic() + 5
        while checkpoint() == before and time.monotonic() < deadline:
            time.sleep(0.02)
        assert checkpoint() != before
    finally:
        older.close()
        worker.stop()


def test_the_worker_command_drains_and_lists_parked(sqlite_engine, monkeypatch):
    from typer.testing import CliRunner

    from chargeledger.cli.main import app

    add_network(sqlite_engine)
    _write(sqlite_engine, 2)
    monkeypatch.setenv("CHARGELEDGER_DATABASE_URL", str(sqlite_engine.url))
    result = CliRunner().invoke(app, ["worker", "--drain"])
    assert result.exit_code == 0, result.output
    assert "handled 2 events; 0 parked" in result.output and outbox.backlog(sqlite_engine) == 0
    result = CliRunner().invoke(app, ["worker", "--failures"])
    assert result.exit_code == 0 and result.output == ""


def test_history_stored_without_reactions_is_passed(engine):
    add_network(engine)
    seen = Seen()
    Ledger(engine).record(REF, [NewEvent(EventKind.DRIVER_RATED, at(0), EventSource.IMPORT, {}, "h:1")],
                          reactions=False)
    _write(engine, 1, key="live", ref=SessionRef("CP-1:tx:2", "ACME", "ACME-SITE", "CP-1"))
    assert outbox.drain(engine, lambda kind: [seen]) == 2
    assert len(seen.calls) == 1  # only the live event's reaction ran; the checkpoint passed both


@pytest.mark.postgres
def test_a_second_process_waits_for_the_round_in_progress(postgres_engine):
    """Another worker process holds the drain lock: this one runs nothing until it is released, then runs once."""
    import threading

    from sqlalchemy import text

    from chargeledger.storage import leases

    engine = postgres_engine
    add_network(engine)
    seen = Seen()
    _write(engine, 1)
    other = engine.connect()
    other.execute(text("SELECT pg_advisory_lock(:family, 0)"), {"family": leases.OUTBOX})
    other.commit()
    waiting = threading.Thread(target=outbox.drain, args=(engine, lambda kind: [seen]))
    waiting.start()
    time.sleep(0.5)
    assert seen.calls == [] and waiting.is_alive()
    other.execute(text("SELECT pg_advisory_unlock(:family, 0)"), {"family": leases.OUTBOX})
    other.commit()
    other.close()
    waiting.join(10)
    assert len(seen.calls) == 1
