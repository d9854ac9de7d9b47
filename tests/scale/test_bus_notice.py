"""A writer process wakes the workers with a notice on the bus after each commit that stored events. A gateway's
writer commits many batches a second: while a notice waits to be sent, more commits add no message, and a commit
after it was sent gets a notice of its own (a worker woken by it must see that commit)."""

from __future__ import annotations

import asyncio
import threading
import uuid

from chargeledger import bus


async def test_notices_from_a_burst_of_commits_are_coalesced_and_a_later_commit_gets_its_own(nats_url):
    client = await bus.connect(nats_url, "test-notice")
    subject = f"test.notice.{uuid.uuid4().hex}"
    got: list[bytes] = []

    async def on_notice(msg) -> None:
        got.append(msg.data)

    subscription = await client.subscribe(subject, cb=on_notice)
    try:
        notice = bus.notice(client, subject)
        # a writer thread commits 200 batches while the loop is busy elsewhere
        burst = threading.Thread(target=lambda: [notice() for _ in range(200)])
        burst.start()
        burst.join()
        await _settle(client)
        assert len(got) == 1  # the loop had no turn between the commits (join blocks it): one notice covers them

        notice()  # a commit after the notice was sent
        await _settle(client)
        assert len(got) == 2
    finally:
        await subscription.unsubscribe()
        await client.close()


async def _settle(client) -> None:
    for _ in range(3):  # the loop's turn that sends, the publish, the delivery back to us
        await asyncio.sleep(0.05)
        await client.flush()
