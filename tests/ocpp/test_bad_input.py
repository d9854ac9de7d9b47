"""Every way a frame can be wrong gets the CallError its OCPP version names; the connection stays open."""

from __future__ import annotations

import json

import pytest
import websockets

from tests.builders import add_network
from tests.ocpp.helpers import gateway_on, raw_exchange

BOOT16 = {"chargePointVendor": "Alfen", "chargePointModel": "Eve"}
CASES = {
    "1.6": [
        ("this is not json", "FormationViolation"),
        ('{"not": "a list"}', "FormationViolation"),
        ('[7, "u1", "Heartbeat", {}]', "FormationViolation"),
        ('[2, "u2", "FlyToTheMoon", {}]', "NotImplemented"),
        ('[2, "u3", "GetDiagnostics", {"location": "ftp://x"}]', "NotSupported"),  # a server->charger action
        ('[2, "u4", "BootNotification", {"chargePointVendor": "Alfen"}]', "ProtocolError"),
        ('[2, "u5", "BootNotification", {"chargePointVendor": 5, "chargePointModel": "Eve"}]',
         "TypeConstraintViolation"),
        ('[2, "u6", "Heartbeat", {"extra": 1}]', "FormationViolation"),
        ('[2, "u7", "StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "yesterday"}]',
         "TypeConstraintViolation"),
    ],
    "2.0.1": [
        ("this is not json", "RpcFrameworkError"),
        ('[7, "u1", "Heartbeat", {}]', "MessageTypeNotSupported"),
        ('[2, "u2", "FlyToTheMoon", {}]', "NotImplemented"),
        ('[2, "u4", "BootNotification", {"reason": "PowerUp"}]', "ProtocolError"),  # 'Payload for Action is incomplete'
        ('[2, "u5", "Heartbeat", {"extra": 1}]', "FormatViolation"),
        ('[2, "u6", "TransactionEvent", {"eventType": "Started", "timestamp": "2024-01-01T00:00:00Z",'
         ' "triggerReason": "Authorized", "seqNo": "zero", "transactionInfo": {"transactionId": "t"}}]',
         "TypeConstraintViolation"),
    ],
}


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_bad_frames_get_the_named_call_error_and_the_connection_lives(engine, version):
    add_network(engine, ocpp=version)
    async with gateway_on(engine) as gateway:
        async with websockets.connect(f"ws://127.0.0.1:{gateway.port}/ocpp/CP-1",
                                      subprotocols=[f"ocpp{version}"]) as ws:
            for frame, code in CASES[version]:
                answer = await raw_exchange(ws, frame)
                assert answer[0] == 4 and answer[2] == code, (frame, answer)
                expected_id = json.loads(frame)[1] if frame.startswith("[") else "-1"
                assert answer[1] == expected_id
            answer = await raw_exchange(ws, '[2, "ok", "Heartbeat", {}]')  # still served
            assert answer[0] == 3 and "currentTime" in answer[2]
        await gateway.log.flush()
    from sqlalchemy import func, select

    from chargeledger.storage.tables import ocpp_messages
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ocpp_messages)).scalar() == 2 * (len(CASES[version]) + 1)
