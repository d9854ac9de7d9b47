"""Text rules the CDR exports share with the reports' SQL cells (cell_sql.py holds the reports' own)."""

from __future__ import annotations

from datetime import timedelta

# A spreadsheet runs a cell starting with these as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    # A lone "-" (the seed's "no account" placeholder) cannot run; anything longer starting so might.
    return "'" + text if text.startswith(FORMULA_START) and text != "-" else text


def hh_mm_ss(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
