"""Every report by its name. Adding a report means adding one declaration module here."""

from __future__ import annotations

from . import roaming_sessions, sessions, statement

REPORTS = {module.REPORT.name: module.REPORT for module in (roaming_sessions, sessions, statement)}
