"""Every clock a history file is written in reaches UTC correctly, and unsure local times are flagged."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sqlalchemy import select

from chargeledger.importing import MappingError, import_sessions, parse_mapping
from chargeledger.importing.values import BadValue, duration, timed
from chargeledger.ledger import Ledger
from chargeledger.storage.tables import sessions
from tests.builders import add_network

UTC = timezone.utc
BASE = {"source": {"name": "t"}, "columns": {"session_id": "id", "start": "start", "stop": "stop", "energy": "kwh"},
        "network": {"organisation": "ACME", "site": "ACME-SITE"}}


def mapping(**time):
    return parse_mapping({**BASE, "time": time})


def test_a_zone_written_in_the_cell_wins_over_the_mapping_zone():
    m = mapping(formats=["%a, %d %b %Y %H:%M:%S %Z", "%Y-%m-%dT%H:%M:%S%z", "%m/%d/%Y %H:%M %Z"],
                time_zone="America/Los_Angeles", abbreviations={"MST": "-07:00", "MDT": "-06:00"})
    assert timed(m, "s", "Fri, 01 Mar 2024 08:00:00 GMT")[0] == datetime(2024, 3, 1, 8, tzinfo=UTC)
    assert timed(m, "s", "2024-03-01T08:00:00Z")[0] == datetime(2024, 3, 1, 8, tzinfo=UTC)
    assert timed(m, "s", "2024-03-01T08:00:00+0100")[0] == datetime(2024, 3, 1, 7, tzinfo=UTC)
    assert timed(m, "s", "07/01/2019 08:00 MDT")[0] == datetime(2019, 7, 1, 14, tzinfo=UTC)
    assert timed(m, "s", "01/02/2019 08:00 MST")[0] == datetime(2019, 1, 2, 15, tzinfo=UTC)
    with pytest.raises(BadValue, match="'XYZ' is not an IANA name"):
        timed(m, "s", "01/02/2019 08:00 XYZ")


def test_epoch_seconds_milliseconds_and_excel_serials():
    assert timed(mapping(formats=["epoch_s"]), "s", "1709280000")[0] == datetime(2024, 3, 1, 8, tzinfo=UTC)
    assert timed(mapping(formats=["epoch_ms"]), "s", "1709280000500")[0] == datetime(2024, 3, 1, 8, 0, 0, 500000,
                                                                                      tzinfo=UTC)
    excel = timed(mapping(formats=["excel"]), "s", "45352.5")[0]
    assert excel == datetime(2024, 3, 1, 12, tzinfo=UTC)


def test_several_formats_in_one_column():
    m = mapping(formats=["%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M:%S"], time_zone="UTC")
    assert timed(m, "s", "01.03.2024 08:00")[0] == timed(m, "s", "2024-03-01 08:00:00")[0]


def test_dst_ambiguous_and_missing_local_times_follow_the_rule_and_say_so():
    earlier = mapping(formats=["%Y-%m-%d %H:%M"], time_zone="Europe/Amsterdam")
    later = mapping(formats=["%Y-%m-%d %H:%M"], time_zone="Europe/Amsterdam", ambiguous="later")
    at, why = timed(earlier, "start", "2024-10-27 02:30")
    assert at == datetime(2024, 10, 27, 0, 30, tzinfo=UTC) and "happens twice" in why
    assert timed(later, "start", "2024-10-27 02:30")[0] == datetime(2024, 10, 27, 1, 30, tzinfo=UTC)
    assert "does not exist" in timed(earlier, "start", "2024-03-31 02:30")[1]
    assert timed(earlier, "start", "2024-10-27 04:30")[1] is None
    with pytest.raises(MappingError, match="ambiguous is earlier or later"):
        mapping(ambiguous="both")


def test_durations_as_clock_or_number():
    m = mapping()
    assert duration(m, "d", "1:30:15") == timedelta(hours=1, minutes=30, seconds=15)
    assert duration(m, "d", "2,5" if m.decimal_comma else "2.5") == timedelta(hours=2.5)
    with pytest.raises(BadValue, match="not a duration"):
        duration(m, "d", "1:xx")
    # a unit written in the cell wins over [units] duration
    point = "," if m.decimal_comma else "."
    assert duration(m, "d", "95 min") == timedelta(minutes=95)
    assert duration(m, "d", f"1{point}5 h") == timedelta(minutes=90)
    assert duration(m, "d", "45s") == timedelta(seconds=45)
    assert duration(m, "d", "2 hours") == timedelta(hours=2)
    with pytest.raises(BadValue, match="negative duration"):
        duration(m, "d", "-3 min")
    with pytest.raises(BadValue, match="not a number"):
        duration(m, "d", "lots min")


def _stored(engine):
    with engine.connect() as conn:
        return {r.external_key: (r.started_at.replace(tzinfo=UTC), r.stopped_at.replace(tzinfo=UTC), r.id)
                for r in conn.execute(select(sessions))}


def test_date_and_time_columns_a_zone_per_row_and_a_charging_time(engine, tmp_path):
    add_network(engine)
    file = tmp_path / "h.csv"
    file.write_text("id,date,time,zone,charging,kwh\n"
                    "1,2024-07-01,08:00,America/Denver,1:30:00,5\n"
                    "2,2024-07-01,08:00,,0:45,5\n"
                    "3,2024-10-27,02:30,,1:00:00,5\n")
    m = parse_mapping({**BASE, "time": {"formats": ["%Y-%m-%d %H:%M"], "time_zone": "Europe/Amsterdam"},
                       "columns": {"session_id": "id", "start": ["date", "time"], "time_zone": "zone",
                                   "duration": "charging", "energy": "kwh"}})
    report = import_sessions(engine, file, m)
    assert report.errors == [] and report.imported == 3 and report.flagged == 1
    stored = _stored(engine)
    assert stored["import:t:1"][:2] == (datetime(2024, 7, 1, 14, tzinfo=UTC), datetime(2024, 7, 1, 15, 30, tzinfo=UTC))
    assert stored["import:t:2"][:2] == (datetime(2024, 7, 1, 6, tzinfo=UTC), datetime(2024, 7, 1, 6, 45, tzinfo=UTC))
    flags = [f.detail for f in Ledger(engine).project(stored["import:t:3"][2]).flags if f.code == "data_quality"]
    assert len(flags) == 1 and "date+time '2024-10-27 02:30' happens twice" in flags[0]


def test_the_zone_times_are_read_in_is_not_the_zone_of_the_sites_created(sqlite_engine, tmp_path):
    """A file exported in UTC for garages in Oslo: times read as UTC, the site the import creates is in Oslo."""
    from chargeledger.directory import registry
    from chargeledger.domain.network import Organisation
    from chargeledger.storage.tables import sites

    registry.add_organisation(sqlite_engine, Organisation("OSLO", "Oslo garages", "NO", "NOK"))
    file = tmp_path / "utc.csv"
    file.write_text("id,start,stop,kwh\n1,2024-01-15 08:00:00,2024-01-15 09:00:00,5\n")
    m = parse_mapping({**BASE, "time": {"time_zone": "UTC"},
                       "network": {"organisation": "OSLO", "site": "OSLO-1", "site_name": "Garage 1",
                                   "site_time_zone": "Europe/Oslo"}})
    assert import_sessions(sqlite_engine, file, m).imported == 1
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(sites.c.time_zone).where(sites.c.id == "OSLO-1")).scalar() == "Europe/Oslo"
    assert _stored(sqlite_engine)["import:t:1"][0] == datetime(2024, 1, 15, 8, tzinfo=UTC)
