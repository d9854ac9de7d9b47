"""The simulator drives real sessions through the gateway; upkeep settles, flags silence and purges the log."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from ocpp.v16 import call
from sqlalchemy import func, select

from chargeledger.ledger import Ledger
from chargeledger.ocpp.housekeeping import sweep
from chargeledger.ocpp.message_log import purge
from chargeledger.ocpp.settings import GatewaySettings
from chargeledger.storage.tables import ocpp_messages, sessions
from tests.builders import add_network, at
from tests.ocpp.helpers import charger, gateway_on, iso


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_simulated_sessions_complete(sqlite_engine, version):
    from chargeledger.ocpp.simulator import simulate
    add_network(sqlite_engine, station_id="SIM-1", ocpp=version)
    # the simulator runs 20000 times faster than real chargers (hours of charging in a second or two, so the test
    # waits on the gateway's writes, not on the simulated clock): far above the per-connection message rate; SIM-2
    # joins by auto-registration, accepted at once by the operator's policy
    async with gateway_on(sqlite_engine, auto_register_site="ACME-SITE", auto_register_status="Accepted",
                          messages_per_second=1e6,
                          message_burst=10**6) as gateway:
        done = await simulate(f"ws://127.0.0.1:{gateway.port}", ["SIM-1", "SIM-2"], 3, 20000.0, version)
    assert done == 3
    with sqlite_engine.connect() as conn:
        rows = conn.execute(select(sessions.c.status, sessions.c.energy_wh)).all()
    assert len(rows) == 3
    assert all(r.status == "Completed" and r.energy_wh > 1000 for r in rows), rows


async def test_settle_timeout_silence_flag_and_log_purge(engine):
    add_network(engine)
    async with gateway_on(engine) as gateway, charger(gateway, "CP-1") as cp:
        stopped = (await cp.call(call.StartTransaction(connector_id=1, id_tag="T", meter_start=0,
                                                       timestamp=iso(at(0))))).transaction_id
        await cp.call(call.StopTransaction(meter_stop=900, timestamp=iso(at(30)), transaction_id=stopped))
        silent = (await cp.call(call.StartTransaction(connector_id=1, id_tag="T", meter_start=900,
                                                      timestamp=iso(at(40))))).transaction_id
    settings = GatewaySettings(settle_after=timedelta(hours=1), silence_after=timedelta(hours=1))
    assert sweep(engine, settings, at(60)) == {"settled": 0, "flagged": 0, "closed": 0}  # not yet
    assert sweep(engine, settings, at(200)) == {"settled": 1, "flagged": 1, "closed": 0}
    assert sweep(engine, settings, at(300)) == {"settled": 0, "flagged": 0, "closed": 0}  # once only
    ledger = Ledger(engine)
    assert ledger.project(stopped).status.value == "Completed"
    assert "session_silent" in {f.code.value for f in ledger.project(silent).flags}
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(ocpp_messages)).scalar()
    assert total == 6
    assert purge(engine, timedelta(days=30)) == 0
    assert purge(engine, timedelta(days=1), now=datetime.now(timezone.utc) + timedelta(days=2)) == 6
