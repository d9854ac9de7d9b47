"""JSON columns fetched as text and decoded with orjson: the same dicts, several times faster than json.loads."""

from __future__ import annotations

import json

from sqlalchemy import Text, cast, type_coerce
from sqlalchemy.types import TypeDecorator

try:
    import orjson
except ImportError:  # optional speed-up; the stdlib gives the same values
    orjson = None


def decode(text):
    if text is None:
        return None
    if orjson is not None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:  # NaN, Infinity or huge integers: json accepts what it wrote
            pass
    return json.loads(text)


class DecodedJson(TypeDecorator):
    impl = Text
    cache_ok = True

    def process_result_value(self, value, dialect):
        return decode(value)


def as_text_json(column, label: str):
    """The JSON column as text (PostgreSQL's jsonb text form, SQLite's stored text), decoded in Python."""
    return type_coerce(cast(column, Text), DecodedJson()).label(label)
