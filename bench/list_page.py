"""Times the session list page (HTML, keyset) on a SQLite database with 1,000,000 session rows.

Run: PYTHONPATH=. .venv/bin/python bench/list_page.py   (about a minute)
"""
import random, time, tempfile
from datetime import datetime, timedelta, timezone
from fastapi.testclient import TestClient
from sqlalchemy import insert
from chargeledger.storage.database import make_engine, refresh_statistics, upgrade
from chargeledger.storage.tables import sessions
from chargeledger.http.app import create_app
from tests.builders import add_network, add_user_key
d = tempfile.mkdtemp(); e = make_engine(f"sqlite:///{d}/b.sqlite3"); upgrade(e)
add_network(e); key = add_user_key(e, "b@acme.example", ["ACME"], ["support"])
t0 = datetime(2020, 1, 1, tzinfo=timezone.utc); rnd = random.Random(1)
statuses = ["Completed"] * 8 + ["Cancelled", "Failed"]
began = time.monotonic()
with e.begin() as conn:
    for chunk in range(100):
        rows = [{"external_key": f"b:{chunk}:{i}", "organisation_id": "ACME", "site_id": "ACME-SITE", "station_id": "CP-1",
                 "evse_id": "NL*ACM*ECP1*1", "connector_id": 1, "status": rnd.choice(statuses),
                 "started_at": t0 + timedelta(minutes=chunk * 10000 + i), "energy_wh": rnd.random() * 50000,
                 "id_token": f"T{rnd.randrange(5000)}", "simulated": False, "created_at": t0} for i in range(10000)]
        conn.execute(insert(sessions), rows)
print(f"inserted 1,000,000 sessions in {time.monotonic() - began:.0f} s")
refresh_statistics(e)
c = TestClient(create_app(e)); h = {"authorization": f"Bearer {key}", "accept": "text/html"}
def timed(path, n=5):
    best = 1e9
    for _ in range(n):
        s = time.perf_counter(); r = c.get(path, headers=h); best = min(best, time.perf_counter() - s)
        assert r.status_code == 200, (path, r.status_code)
    return best, r
import re
for label, path in [("first page", "/sessions"), ("status=Failed", "/sessions?status=Failed"),
                    ("sort energy", "/sessions?sort=energy_wh&order=desc"), ("search token", "/sessions?q=T42"),
                    ("time frame", "/sessions?from=2020-06-01&to=2020-06-30")]:
    best, r = timed(path)
    nxt = re.search(r'href="(/sessions\?[^"]*cursor=[^"]*)"', r.text)
    print(f"{label:14s} {best * 1000:7.1f} ms", end="")
    if nxt:
        url = nxt.group(1).replace("&amp;", "&")
        pages = 2
        for _ in range(20):  # up to 20 pages deeper, following the real "Next page" links
            m = re.search(r'href="(/sessions\?[^"]*cursor=[^"]*)"', c.get(url, headers=h).text)
            if not m:
                break
            url, pages = m.group(1).replace("&amp;", "&"), pages + 1
        best, _ = timed(url)
        print(f"   page {pages}: {best * 1000:7.1f} ms")
    else:
        print()
