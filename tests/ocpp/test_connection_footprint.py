"""What a held charger connection keeps (docs/deploy.md: one gateway holds 50,000): the ocpp library's route map is
shared by the class, the queue and lock for our commands are made at the first command, and websockets no longer
keeps the handshake's headers. The connection still answers the charger and carries commands both ways."""

from __future__ import annotations

from ocpp.v16 import call

from chargeledger.ocpp.connection import class_routes
from tests.builders import add_network
from tests.ocpp.helpers import gateway_on
from tests.ocpp.lab16 import lab_charger


async def test_a_held_connection_keeps_only_what_it_uses(engine):
    add_network(engine)
    async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp:
        beat = await cp.call(call.Heartbeat())
        assert beat.current_time
        held = gateway.connected["CP-1"]
        assert held.route_map is class_routes(type(held))  # one map for every connection of the class
        assert "Heartbeat" in held.route_map and "MeterValues" in held.route_map
        assert not {"_response_queue", "_call_lock"} & vars(held).keys()  # no command sent yet
        assert len(held._connection.request.headers) == 0 and held._connection.response is None
        assert held._connection.request.path == "/ocpp/CP-1"

        assert await gateway.command("CP-1", "ClearCache", {}) == {"status": "Accepted"}
        assert {"_response_queue", "_call_lock"} <= vars(held).keys()  # made for the first command
        assert await gateway.command("CP-1", "ClearCache", {}) == {"status": "Accepted"}
        assert (await cp.call(call.Heartbeat())).current_time  # and the charger is still answered
    assert [name for name, _ in cp.requests] == ["ClearCache", "ClearCache"]
