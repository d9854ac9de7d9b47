"""OCPI 2.2.1 ReservationRestrictionType note: with both a RESERVATION and a RESERVATION_EXPIRES element carrying
TIME, an expired reservation's time is priced by the RESERVATION_EXPIRES element, whatever the list order."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from chargeledger.pricing import Reservation, Usage, price_cdr, price_usage
from tests.pricing.helpers import UTC, cdr, component, tariff, usage

MONDAY_10 = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
RESERVED_LISTED_FIRST = tariff(
    {"price_components": [component("TIME", "2")], "restrictions": {"reservation": "RESERVATION"}},
    {"price_components": [component("TIME", "6")], "restrictions": {"reservation": "RESERVATION_EXPIRES"}},
    {"price_components": [component("ENERGY", "0.25")]})


def test_reservation_expires_time_wins_for_an_expired_reservation_even_when_listed_later():
    expired = Usage(MONDAY_10, MONDAY_10, (), Reservation(MONDAY_10 - timedelta(hours=1), MONDAY_10, expired=True))
    priced = price_usage(RESERVED_LISTED_FIRST, expired, "UTC")
    assert priced.totals.total_reservation_cost.excl_vat == Decimal(6)
    assert [line.element_index for line in priced.lines] == [1]


def test_reservation_expires_time_wins_in_a_cdr_whose_reservation_expired():
    only_reserved = cdr(MONDAY_10, [(60, {"RESERVATION_TIME": 1})])  # no charging followed: it expired
    assert price_cdr(RESERVED_LISTED_FIRST, only_reserved).totals.total_reservation_cost.excl_vat == Decimal(6)


def test_a_used_reservation_keeps_the_reservation_element_time():
    used = usage(MONDAY_10, [(60, 10, True)],
                 reservation=Reservation(MONDAY_10 - timedelta(hours=1), MONDAY_10, expired=False))
    totals = price_usage(RESERVED_LISTED_FIRST, used, "UTC").totals
    assert totals.total_reservation_cost.excl_vat == Decimal(2)
    assert totals.total_energy_cost.excl_vat == Decimal("2.5")


def test_reservation_expires_without_time_leaves_the_reservation_time_to_list_order():
    # the note is about TIME only: a FLAT-only RESERVATION_EXPIRES element does not move the TIME price
    t = tariff({"price_components": [component("TIME", "2")], "restrictions": {"reservation": "RESERVATION"}},
               {"price_components": [component("FLAT", "1")], "restrictions": {"reservation": "RESERVATION_EXPIRES"}})
    expired = Usage(MONDAY_10, MONDAY_10, (), Reservation(MONDAY_10 - timedelta(hours=1), MONDAY_10, expired=True))
    assert price_usage(t, expired, "UTC").totals.total_reservation_cost.excl_vat == Decimal(3)
