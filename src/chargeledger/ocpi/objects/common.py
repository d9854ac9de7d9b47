"""Pieces every OCPI 2.2.1 object module shares: numbers of at most 4 decimals, display texts, prices."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, field_validator

from ..models import OcpiModel, string

Number = Annotated[Decimal, Field(max_digits=None)]


def four_decimals(value: Decimal | None) -> Decimal | None:
    if value is not None and value.as_tuple().exponent < -4:
        raise ValueError("OCPI numbers carry at most 4 decimals")
    return value


class DisplayText(OcpiModel):
    language: string(2)
    text: string(512)


class Price(OcpiModel):
    excl_vat: Number
    incl_vat: Number | None = None
    _four = field_validator("excl_vat", "incl_vat")(four_decimals)
