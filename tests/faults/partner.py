"""A payment partner that is down for a while: the simulated gateway answers a temporary error while the flag file
named by CHARGELEDGER_PARTNER_DOWN_FLAG exists. Installed in the server process by tests/faults/server.py."""

from __future__ import annotations

import os
from pathlib import Path

from chargeledger.payments.gateway import GatewayResult, SimulatedGateway
from chargeledger.payments.reasons import FailureReason


def _down() -> bool:
    flag = os.environ.get("CHARGELEDGER_PARTNER_DOWN_FLAG")
    return bool(flag) and Path(flag).exists()


def install() -> None:
    capture, refund = SimulatedGateway.capture, SimulatedGateway.refund

    def capture_unless_down(self, *args, **kwargs):
        return GatewayResult(False, reason=FailureReason.TEMPORARY_ERROR) if _down() else capture(self, *args,
                                                                                                   **kwargs)

    def refund_unless_down(self, *args, **kwargs):
        return GatewayResult(False, reason=FailureReason.TEMPORARY_ERROR) if _down() else refund(self, *args,
                                                                                                 **kwargs)

    SimulatedGateway.capture, SimulatedGateway.refund = capture_unless_down, refund_unless_down
