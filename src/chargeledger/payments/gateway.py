"""The payment-gateway interface, and the SIMULATED gateway that ships by default (no network, no money moves).

Deterministic triggers of the simulated gateway (documented for support staff and tests):

    card last four   0002 -> Insufficient Funds       0069 -> Expired Card
                     0119 -> Expired Authorization    0127 -> Invalid Card Data
                     9979 -> Stolen or Lost Card      0100 -> Fraudulent or Blocked Card
                     0341 -> General Decline by Bank  0000 -> OTHER
    amount           below 0.50 (and not zero)        -> Invalid Amount (below the gateway minimum)
                     ending in .13                    -> Temporary Error on the first attempt, captured on a retry
                     ending in .66                    -> Processing Error on every attempt
    refunds          amount ending in .66 -> refused (Processing Error); every other refund succeeds with
                     reference "sim_refund_<payment reference>_<n>"
Every other capture succeeds with reference "sim_<payment id>_<attempt>".

CHARGELEDGER_SIMULATED_GATEWAY_DELAY (seconds, default 0) makes every capture and refund take that long, like a
slow card processor: the outbox worker waits for it, a charger's answer never does (docs/outbox.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from ..settings import current
from .reasons import FailureReason


@dataclass(frozen=True)
class GatewayResult:
    ok: bool
    reference: str | None = None
    reason: FailureReason | None = None


class PaymentGateway(Protocol):
    name: str

    def capture(self, payment_id: int, amount: Decimal, currency: str, card_last4: str | None,
                attempt: int) -> GatewayResult: ...

    def refund(self, reference: str, amount: Decimal, currency: str, number: int) -> GatewayResult: ...


_CARD_TRIGGERS = {
    "0002": FailureReason.INSUFFICIENT_FUNDS, "0069": FailureReason.EXPIRED_CARD,
    "0119": FailureReason.EXPIRED_AUTHORIZATION, "0127": FailureReason.INVALID_CARD_DATA,
    "9979": FailureReason.STOLEN_OR_LOST_CARD, "0100": FailureReason.FRAUDULENT_OR_BLOCKED_CARD,
    "0341": FailureReason.GENERAL_DECLINE, "0000": FailureReason.OTHER,
}
MINIMUM_AMOUNT = Decimal("0.50")


class SimulatedGateway:
    """A stand-in for a card processor: clearly labelled, deterministic, offline."""

    name = "simulated"

    @staticmethod
    def _wait() -> None:
        delay = current().simulated_gateway_delay
        if delay > 0:
            time.sleep(delay)

    def capture(self, payment_id: int, amount: Decimal, currency: str, card_last4: str | None,
                attempt: int) -> GatewayResult:
        self._wait()
        if card_last4 in _CARD_TRIGGERS:
            return GatewayResult(False, reason=_CARD_TRIGGERS[card_last4])
        if Decimal(0) < amount < MINIMUM_AMOUNT:
            return GatewayResult(False, reason=FailureReason.INVALID_AMOUNT)
        cents = f"{amount:.2f}"[-3:]
        if cents == ".13" and attempt == 1:
            return GatewayResult(False, reason=FailureReason.TEMPORARY_ERROR)
        if cents == ".66":
            return GatewayResult(False, reason=FailureReason.PROCESSING_ERROR)
        return GatewayResult(True, reference=f"sim_{payment_id}_{attempt}")

    def refund(self, reference: str, amount: Decimal, currency: str, number: int) -> GatewayResult:
        self._wait()
        if f"{amount:.2f}".endswith(".66"):
            return GatewayResult(False, reason=FailureReason.PROCESSING_ERROR)
        return GatewayResult(True, reference=f"sim_refund_{reference}_{number}")


DEFAULT_GATEWAY = SimulatedGateway()
