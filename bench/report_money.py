"""Issue 14's counts on the demo operator, measured from the files the commands write (an SQLite database).

    CHARGELEDGER_DATABASE_URL=sqlite:////tmp/reports-demo.sqlite3 chargeledger demo load --sessions 2000
    python bench/report_money.py [DATABASE_URL] [OUTPUT_FOLDER]

Runs `chargeledger report` and `chargeledger export cdrs` as an operator would, reads the files back with csv and
json, and counts what issue 14 counted: VAT rates, tax columns, refund rows, money taken against the payments
ledger per currency, split sessions' charges, OCPI times and connectors, OICP session IDs and meters.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import create_engine, text

DATABASE = sys.argv[1] if len(sys.argv) > 1 else "sqlite:////tmp/reports-demo.sqlite3"
OUT = sys.argv[2] if len(sys.argv) > 2 else "/tmp/reports-measure"
SPAN = ["--from", "2000-01-01", "--to", "2100-01-01"]
MOVES = ("Refund", "Re-priced")


def run(*args: str) -> None:
    command = os.path.join(os.path.dirname(sys.executable), "chargeledger")
    done = subprocess.run([command, *args], env=dict(os.environ, CHARGELEDGER_DATABASE_URL=DATABASE),
                          capture_output=True, text=True)
    if done.returncode:
        print(" ".join(args), done.stderr[-500:])


def table(path: str) -> tuple[list[dict], list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return [dict(zip(rows[0], r)) for r in rows[1:]], rows[0]


def money(text_value) -> Decimal:
    return Decimal(str(text_value)) if text_value not in (None, "") else Decimal(0)


def statement(engine) -> None:
    rows, header = table(f"{OUT}/statement.csv")
    print("statement BOM:", open(f"{OUT}/statement.csv", "rb").read(3) == b"\xef\xbb\xbf",
          "tax columns:", [h for h in header if h.startswith("Tax – ")])
    print("statement rows", len(rows), "refund rows", sum(r["Completion Status"] == "Refund" for r in rows),
          "re-priced rows", sum(r["Completion Status"] == "Re-priced" for r in rows))
    taken: dict[str, Decimal] = {}
    for r in rows:
        currency = r["Display Currency"]
        taken[currency] = taken.get(currency, Decimal(0)) + money(r["Payment Total"]) - money(r["Unsettled Amount"])
    with engine.connect() as conn:
        captured = {c: v for c, v in conn.execute(text(
            "SELECT currency, sum(amount_captured) FROM payments GROUP BY currency"))}
        refunded = {c: v for c, v in conn.execute(text(
            "SELECT currency, sum(amount) FROM refunds WHERE status = 'succeeded' GROUP BY currency"))}
    ledger = {c: (money(captured.get(c)) - money(refunded.get(c))).quantize(Decimal("0.01"))
              for c in set(captured) | set(refunded)}
    print("money taken per currency (statement):", {c: str(v) for c, v in sorted(taken.items()) if v})
    print("captures - refunds (ledger):        ", {c: str(v) for c, v in sorted(ledger.items()) if v})
    shown = [r for r in rows if r.get("Net Revenue Received (Incl. Tax)") and r["Completion Status"] not in MOVES]
    wrong = sum(1 for r in shown if money(r["Payment Total"]) == money(r["Unsettled Amount"])
                and money(r["Net Revenue Received (Incl. Tax)"]) != 0)
    print("Net Revenue Received shown on", len(shown), "session rows; non-zero where nothing was taken:", wrong)


def split_billing(engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT p.method, p.amount_captured, s.payment_total, json_extract(s.split_billing, '$.team_share'), "
            "json_extract(s.split_billing, '$.driver_contribution') FROM session_settlements s "
            "JOIN payments p ON p.session_id = s.session_id "
            "WHERE s.current AND json_extract(s.split_billing, '$.team_share') IS NOT NULL")).all()
    whole = sum(1 for _m, cap, total, team, _d in rows if money(team) > 0 and money(cap) == money(total))
    share = sum(1 for m, cap, _t, _team, driver in rows if m in ("card", "wallet") and money(cap) == money(driver))
    print("split sessions", len(rows), "charged the whole total:", whole, "cards charged the driver's share:", share)


def _hours(cdr: dict) -> float:
    start, end = (datetime.fromisoformat(cdr[k].replace("Z", "+00:00")) for k in ("start_date_time", "end_date_time"))
    return (end - start).total_seconds() / 3600


def ocpi() -> None:
    cdrs = [json.loads(line) for line in open(f"{OUT}/ocpi.jsonl")]
    over = off = 0
    for cdr in cdrs:
        dims = {d["type"]: d["volume"] for p in cdr["charging_periods"] for d in p["dimensions"]}
        over += dims.get("TIME", 0) + dims.get("PARKING_TIME", 0) > cdr["total_time"] + 1e-4
        off += abs(cdr["total_time"] - _hours(cdr)) > 1 / 60
    standards = {c["cdr_location"]["connector_standard"] for c in cdrs if c["cdr_location"]["country"] == "USA"}
    print("OCPI CDRs", len(cdrs), "TIME+PARKING > total_time:", over, "total_time off > 1 min:", off,
          "US combo standards:", sorted(s for s in standards if "COMBO" in s))


def _guid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def oicp() -> None:
    records = [json.loads(line) for line in open(f"{OUT}/oicp.jsonl")]
    print("OICP CDRs", len(records), "non-GUID SessionID:", sum(not _guid(r["SessionID"]) for r in records),
          "meter end < start:", sum(r.get("MeterValueEnd", 0) < r.get("MeterValueStart", 0) for r in records))


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    run("report", "roaming-sessions", *SPAN, "-o", f"{OUT}/roaming.csv")
    run("report", "statement", *SPAN, "--timezone", "UTC", "-o", f"{OUT}/statement.csv")
    run("export", "cdrs", "--format", "ocpi", *SPAN, "-o", f"{OUT}/ocpi.jsonl")
    run("export", "cdrs", "--format", "oicp", *SPAN, "-o", f"{OUT}/oicp.jsonl")
    roaming, _header = table(f"{OUT}/roaming.csv")
    print("roaming rows", len(roaming), "VAT rate 2100.00:", sum(r["VAT rate"] == "2100.00" for r in roaming),
          "VAT rates:", sorted({r["VAT rate"] for r in roaming}))
    engine = create_engine(DATABASE)
    statement(engine)
    split_billing(engine)
    ocpi()
    oicp()


if __name__ == "__main__":
    main()
