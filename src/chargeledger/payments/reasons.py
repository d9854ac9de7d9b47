"""Why a payment failed, in the words of seed 002's "Credit Card Errors" list."""

from __future__ import annotations

from enum import StrEnum


class FailureReason(StrEnum):
    OTHER = "OTHER"
    INSUFFICIENT_FUNDS = "Insufficient Funds"
    EXPIRED_CARD = "Expired Card"
    EXPIRED_AUTHORIZATION = "Expired Authorization"
    INVALID_CARD_DATA = "Invalid Card Data"
    INVALID_AMOUNT = "Invalid Amount"
    STOLEN_OR_LOST_CARD = "Stolen or Lost Card"
    FRAUDULENT_OR_BLOCKED_CARD = "Fraudulent or Blocked Card"
    GENERAL_DECLINE = "General Decline by Bank"
    PROCESSING_ERROR = "Processing Error"
    TEMPORARY_ERROR = "Temporary Error"

    @property
    def retryable(self) -> bool:
        return self in (FailureReason.TEMPORARY_ERROR, FailureReason.PROCESSING_ERROR)


class PaymentMethod(StrEnum):
    CARD = "card"
    WALLET = "wallet"
    PREPAID = "prepaid"
    RFID_ACCOUNT = "rfid_account"
    ROAMING_INVOICE = "roaming_invoice"
    FREE = "free"
