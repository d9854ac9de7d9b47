"""EVSE-ID validation in the eMI3 / ISO 15118 form `CC*OOO*E<id>` (separators optional)."""

from __future__ import annotations

import re

# Country (2 letters), operator (3 alphanumerics), 'E' then 1..30 alphanumerics or '*'.
_EVSE_ID = re.compile(r"^([A-Z]{2})\*?([A-Z0-9]{3})\*?E([A-Z0-9][A-Z0-9*]{0,30})$")


class InvalidEvseId(ValueError):
    pass


def parse_evse_id(value: str) -> tuple[str, str, str]:
    """Return (country, operator, local id); raise InvalidEvseId with the reason."""
    match = _EVSE_ID.match(value.strip().upper())
    if not match:
        raise InvalidEvseId(
            f"EVSE-ID {value!r} is not in the eMI3 form CC*OOO*E<id> (for example NL*ABC*E12345*1)"
        )
    return match.group(1), match.group(2), match.group(3)


def normalise_evse_id(value: str) -> str:
    country, operator, local = parse_evse_id(value)
    return f"{country}*{operator}*E{local}"
