"""The cells' SQL (reports/cell_sql.py) gives the oracle's text (tests/reports/oracle.py) for any value: quoting,
formula neutralisation, money and fixed decimals with signed zeros and half-even rounding, kWh, durations and local
times. The oracle report tests cover the assembled line; these cover the values they may not meet."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from chargeledger.domain.impact import co2_saved_kg
from chargeledger.reports.cell_sql import co2_saved_sql, connect, fixed_of_text, literal, local_time, money_of_text
from chargeledger.reports.cells import hh_mm_ss, neutralise

from tests.reports.oracle import between, kilowatt_hours, minutes, money_text

duckdb = pytest.importorskip("duckdb")


@pytest.fixture(scope="module")
def duck():
    connection = connect()
    yield connection
    connection.close()


def one(duck, sql: str, *values):
    return duck.execute(f"SELECT {sql}", list(values)).fetchone()[0]


def csv_field(text: str) -> str:
    """`text` as csv.writer writes a field among others (excel dialect, minimal quoting)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([text, ""])
    return out.getvalue()[:-3]


texts = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_quoting_and_neutralising_match_python(duck, text):
    assert one(duck, "cl_csv($1)", text) == csv_field(text)
    assert one(duck, "cl_text($1)", text) == neutralise(text)


def _decimal_text(digits: int, scale: int, negative: bool) -> str:
    text = f"{Decimal(digits).scaleb(-scale):f}"
    return f"-{text}" if negative and not text.startswith("-") else text


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 10**15), st.integers(0, 8), st.booleans())
def test_money_of_a_fixed_scale_text_matches_python(duck, digits, scale, negative):
    text = _decimal_text(digits, scale, negative)  # as PostgreSQL's numeric text, or SQLite's "%.<scale>f"
    assert one(duck, money_of_text("$1", scale), text) == money_text(Decimal(text))
    assert one(duck, "cl_money($1)", text) == money_text(Decimal(text))
    for places in range(0, 7):
        expected = f"{Decimal(text).quantize(Decimal(1).scaleb(-places)):f}"
        assert one(duck, fixed_of_text("$1", scale, places), text) == expected


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_kilowatt_hours_match_python(duck, wh):
    assert one(duck, "cl_kwh($1::DOUBLE)", wh) == f"{kilowatt_hours(wh):f}"


@settings(max_examples=300, deadline=None)
@given(st.integers(-10**12, 10**12))
def test_durations_match_python(duck, micros):
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    span = between(start, start + timedelta(microseconds=micros))
    assert one(duck, "cl_hms(cl_seconds($1::BIGINT))", micros) == hh_mm_ss(span)
    assert one(duck, "cl_minutes(cl_seconds($1::BIGINT))", micros) == f"{minutes(span):f}"


@settings(max_examples=300, deadline=None)
@given(st.integers(int(datetime(2000, 1, 1).timestamp()) * 10**6, int(datetime(2035, 1, 1).timestamp()) * 10**6),
       st.sampled_from(["Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]))
def test_local_times_match_python(duck, micros, zone):
    moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=micros)
    for time_format in ("%Y-%m-%d-%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y-%m-%d-%H:%M%z",
                        "%Y-%m-%dT%H:%M:%S%z"):
        expected = moment.astimezone(ZoneInfo(zone)).strftime(time_format)
        assert one(duck, local_time("$1::BIGINT", literal(zone), time_format), micros) == expected


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.floats(min_value=-10.0, max_value=5e9, allow_nan=False), st.just(0.5), st.just(1.5)),
       st.sampled_from([None, "", "NL", "NO", "US", "ZZ"]))
def test_co2_estimate_matches_python(duck, wh, country):
    expected = co2_saved_kg(wh, country)
    got = one(duck, co2_saved_sql("$1::DOUBLE", "$2::VARCHAR"), wh, country)
    assert got == (None if expected is None else f"{expected:f}")
