"""The demo operator builds what it promises, from real session shapes, and `--if-empty` loads it once."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from typer.testing import CliRunner

from chargeledger.access import accounts
from chargeledger.cli.main import app
from chargeledger.demo.generator import generate_sessions, profiles
from chargeledger.demo.network import plan
from chargeledger.domain.evse_id import parse_evse_id
from chargeledger.ledger import Ledger
from chargeledger.storage.database import make_engine
from chargeledger.storage.tables import (
    connectors, drivers, evses, id_tokens, meter_samples, organisations, roaming_partners, session_events, sessions,
    sites, stations, teams, users, vehicles,
)
from tests.demo.conftest import END, SIZE


def _count(conn, table, *where) -> int:
    return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


def test_demo_network_and_sessions(demo):
    engine, summary = demo.engine, demo.summary
    assert summary.sessions == SIZE["sessions"]
    with engine.connect() as conn:
        orgs = {o.id: o for o in conn.execute(select(organisations))}
        assert {(o.currency, o.public) for o in orgs.values()} == {("EUR", True), ("USD", False)}
        zones = set(conn.execute(select(sites.c.time_zone)).scalars())
        assert len(zones) >= 3 and any(z.startswith("America/") for z in zones)
        assert _count(conn, stations) >= 12
        assert set(conn.execute(select(connectors.c.current_type)).scalars()) == {"AC", "DC"}
        for evse_id in conn.execute(select(evses.c.evse_id)).scalars():
            parse_evse_id(evse_id)
        profiles_ = list(conn.execute(select(stations.c.billing_profile)).scalars())
        assert sum(p is not None for p in profiles_) >= 3 and sum(p is None for p in profiles_) >= 3
        assert _count(conn, drivers, drivers.c.email.like("%@%"), drivers.c.phone.is_not(None)) >= 40
        assert {"Blocked", "Expired", "Accepted"} <= set(conn.execute(select(id_tokens.c.status)).scalars())
        assert _count(conn, teams, teams.c.kwh_price_cap.is_not(None)) == 1
        assert _count(conn, vehicles) > 0
        assert set(conn.execute(select(roaming_partners.c.network)).scalars()) == {"OCPI", "Hubject", "Girève"}
        assert _count(conn, users) == 4
        rows = conn.execute(select(sessions)).all()
        sampled = set(conn.execute(select(meter_samples.c.session_id).distinct()).scalars())
        measurands = set(conn.execute(select(meter_samples.c.measurand).distinct()).scalars())
    assert accounts.login(engine, "admin@demo.chargeledger.org", summary.passwords["admin@demo.chargeledger.org"])
    assert accounts.caller_for_key(engine, accounts.create_key(engine, "support@demo.chargeledger.org")).rights

    statuses = Counter(r.status for r in rows)
    assert statuses["Completed"] > 0.8 * len(rows) and statuses["Failed"] > 0 and statuses["Cancelled"] > 0
    assert all(r.summary["failure_reason"] for r in rows if r.status == "Failed")
    assert all(r.energy_wh == 0 for r in rows if r.status == "Cancelled")
    roamed = [r.summary["roaming"] for r in rows if r.network]
    assert {r["network"] for r in roamed} == {"OCPI", "Hubject", "Girève"}
    assert all(r["operator_id"] and r["provider_id"] and r["roaming_cdr_id"] and r["partner_transaction_id"]
               for r in roamed)
    assert any(r.simulated for r in rows) and any(r.summary["custom_fields"] for r in rows)
    assert any(f["code"] == "meter_stop_below_start" for r in rows for f in r.summary["flags"])
    assert len(sampled) >= 0.75 * SIZE["sampled"] and measurands == {1, 2, 3, 4, 5}
    assert min(r.started_at for r in rows) >= datetime(2023, 5, 1, tzinfo=timezone.utc)
    assert max(r.stopped_at for r in rows if r.stopped_at) <= END

    # the stored projection is the ledger's own
    ledger = Ledger(engine)
    for row in [rows[0], next(r for r in rows if r.id in sampled)]:
        ledger.refresh(row.id)
        with engine.connect() as conn:
            assert tuple(conn.execute(select(sessions).where(sessions.c.id == row.id)).one()) == tuple(row)
        kinds = [e.kind for e in ledger.events(row.id)]
        assert kinds[:4] == ["session_created", "plugged_in", "authorized", "transaction_started"]


def test_dc_curves_taper_and_registers_rise(demo):
    with demo.engine.connect() as conn:
        dc_sessions = conn.execute(
            select(sessions.c.id).join(evses, evses.c.evse_id == sessions.c.evse_id)
            .join(connectors, connectors.c.evse_id == evses.c.evse_id)
            .where(connectors.c.current_type == "DC", sessions.c.id.in_(
                select(meter_samples.c.session_id).distinct()))).scalars().all()
    tapered = 0
    ledger = Ledger(demo.engine)
    assert dc_sessions
    for session_id in dc_sessions:
        samples = ledger.samples(session_id)
        power = [s.value for s in samples if s.measurand == 2 and s.value > 0]
        soc = [s.value for s in samples if s.measurand == 5]
        register = [s.value for s in samples if s.measurand == 1]
        assert register == sorted(register) and soc == sorted(soc)
        if soc[-1] > 90 and len(power) > 3:
            tapered += power[-1] < 0.6 * max(power)
    assert tapered > 0


def test_start_times_follow_the_real_datasets():
    network = plan(3)
    records = list(generate_sessions(network, 3000, seed=3, end=END, sampled=0))
    zone = {"CCI-SJC": ZoneInfo("America/Los_Angeles"), "CCI-BOS": ZoneInfo("America/New_York")}
    us_hours = Counter(r.events[0].occurred_at.astimezone(zone[r.ref.station_id[:7]]).hour
                       for r in records if r.ref.organisation_id == "CAMPUSUS")
    real = Counter(p.start_minute // 60 for p in profiles()["workplace"])
    # the start-hour histogram is the real one (total variation distance), far from uniform noise
    shares = [us_hours[h] / sum(us_hours.values()) for h in range(24)]
    real_shares = [real[h] / sum(real.values()) for h in range(24)]
    assert sum(abs(a - b) for a, b in zip(shares, real_shares)) / 2 < 0.08
    assert sum(abs(a - 1 / 24) for a in shares) / 2 > 0.3
    again = list(generate_sessions(plan(3), 50, seed=3, end=END, sampled=0))
    assert [r.events for r in again] == [r.events for r in records[:50]]


def test_cli_if_empty_is_a_no_op_the_second_time(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    monkeypatch.setenv("CHARGELEDGER_DATABASE_URL", url)
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "load", "--if-empty", "--sessions", "150"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.chargeledger.org with password demo-admin" in first.output
    engine = make_engine(url)
    with engine.connect() as conn:
        before = (_count(conn, sessions), _count(conn, session_events), _count(conn, users))
    second = runner.invoke(app, ["demo", "load", "--if-empty", "--sessions", "150"])
    assert second.exit_code == 0 and "demo not loaded" in second.output
    with engine.connect() as conn:
        assert (_count(conn, sessions), _count(conn, session_events), _count(conn, users)) == before
    assert before[0] == 150
    engine.dispose()
