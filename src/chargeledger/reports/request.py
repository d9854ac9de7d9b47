"""What someone asks for (report, time frame, organisations, network, zone) and the checks that refuse bad asks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, select

from ..access.rights import Caller, Right, parse_rights
from ..storage.tables import organisations, user_organisations, users

ROAMING_NETWORKS = ("OCPI", "Hubject", "Girève")


class ReportError(ValueError):
    """A clear reason why a report was not produced; no file is written."""


@dataclass(frozen=True)
class ReportRequest:
    report: str
    start: datetime             # inclusive, UTC
    end: datetime               # exclusive, UTC
    organisation_ids: tuple[str, ...]
    caller: Caller
    network: str | None = None
    time_zone: str = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def missing_rights(rights, caller: Caller) -> list[str]:
    """The rights in `rights` the caller lacks: what refuses a report or export, and what hides it on the page."""
    return [r.value for r in rights if not caller.has(r)]


def parse_moment(value: str, name: str, zone: str = "UTC") -> datetime:
    """A date means its midnight in `zone` (the report's zone: a day is the reader's day); a time without offset
    is refused (we never guess a zone)."""
    text = value.strip()
    try:
        moment = (datetime.combine(date.fromisoformat(text), time(tzinfo=ZoneInfo(zone))) if len(text) == 10
                  else datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise ReportError(f"--{name} {value!r} is not a date (2024-03-01) or a time with offset") from None
    if moment.tzinfo is None:
        raise ReportError(f"--{name} {value!r} needs a time zone offset, for example 2024-03-01T00:00:00Z")
    return moment.astimezone(timezone.utc)


def caller_for_email(engine: Engine, email: str) -> Caller:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.email == email.lower())).first()
        if row is None:
            raise ReportError(f"no user {email}")
        orgs = frozenset(conn.execute(select(user_organisations.c.organisation_id)
                                      .where(user_organisations.c.user_id == row.id)).scalars())
    return Caller(row.id, row.email, parse_rights(row.rights), orgs, row.time_zone, row.locale)


def caller_for_user(engine: Engine, user_id: int) -> Caller:
    with engine.connect() as conn:
        email = conn.execute(select(users.c.email).where(users.c.id == user_id)).scalar()
    if email is None:
        raise ReportError(f"no user {user_id}")
    return caller_for_email(engine, email)


def operator_caller(engine: Engine) -> Caller:
    """Whoever runs the command line on the server holds the database: every organisation, every right."""
    with engine.connect() as conn:
        orgs = frozenset(conn.execute(select(organisations.c.id)).scalars())
    return Caller(0, "command line", frozenset({Right.ADMIN}), orgs, "UTC")


def build_request(engine: Engine, report: str, start, end, caller: Caller, organisation_ids=(),
                  network: str | None = None, time_zone: str | None = None,
                  known_reports: dict | None = None) -> ReportRequest:
    if known_reports is not None and report not in known_reports:
        raise ReportError(f"unknown report {report!r}; choose from {', '.join(sorted(known_reports))}")
    zone = time_zone or caller.time_zone or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ReportError(f"unknown time zone {zone!r}; use an IANA name such as Europe/Amsterdam") from None
    start_at, end_at = parse_moment(start, "from", zone), parse_moment(end, "to", zone)
    if end_at <= start_at:
        raise ReportError("the time frame is empty: --to must be after --from")
    if network is not None and network not in ROAMING_NETWORKS:
        raise ReportError(f"unknown network {network!r}; choose from {', '.join(ROAMING_NETWORKS)}")
    wanted = tuple(dict.fromkeys(organisation_ids)) or tuple(sorted(caller.organisation_ids))
    with engine.connect() as conn:
        known = set(conn.execute(select(organisations.c.id).where(organisations.c.id.in_(wanted))).scalars())
    for org in wanted:
        if org not in known:
            raise ReportError(f"unknown organisation {org!r}")
        if not caller.sees(org):
            raise ReportError(f"organisation {org!r} is outside your organisations")
    if not wanted:
        raise ReportError("no organisation to report on")
    return ReportRequest(report, start_at, end_at, wanted, caller, network, zone)
