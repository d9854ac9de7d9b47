"""permessage-deflate is off by default (zlib's state was most of a connection's memory) and a setting turns it on
with a small window, for chargers that ask for it."""

from __future__ import annotations

import pytest
import websockets

from tests.builders import add_network
from tests.ocpp.helpers import gateway_on


@pytest.mark.parametrize("bits, negotiated", [(0, []), (9, ["permessage-deflate"])])
async def test_compression_only_when_the_operator_turns_it_on(sqlite_engine, bits, negotiated):
    add_network(sqlite_engine)
    async with gateway_on(sqlite_engine, compression_window_bits=bits) as gateway:
        async with websockets.connect(f"ws://127.0.0.1:{gateway.port}/ocpp/CP-1", subprotocols=["ocpp1.6"]) as ws:
            assert [e.name for e in ws.protocol.extensions] == negotiated
            if bits:
                assert ws.protocol.extensions[0].remote_max_window_bits == bits
