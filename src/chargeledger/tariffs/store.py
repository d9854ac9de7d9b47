"""Tariffs as stored versions and where they apply.

Every edit adds a version (sessions keep the one frozen at their start). An assignment ties a tariff to an
organisation, site, station or EVSE for a validity window; for a session the most specific valid one wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, and_, delete, func, or_, select, update
from sqlalchemy.engine import Connection

from ..directory import changes
from ..pricing import Tariff, TariffError
from ..pricing import ocpi_json
from ..storage.tables import evses, organisations, sites, stations, tariff_assignments, tariffs

SCOPES = ("evse", "station", "site", "organisation")  # most specific first
# OCPI decimal fields: kept as strings in the JSON column so no database turns them into binary floats.
_DECIMAL_KEYS = frozenset({"price", "vat", "excl_vat", "incl_vat", "min_kwh", "max_kwh", "min_current",
                           "max_current", "min_power", "max_power", "percentage", "amount"})


class TariffStoreError(ValueError):
    """A request about stored tariffs that cannot be done; `field` names what is wrong."""

    def __init__(self, field: str, reason: str):
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True)
class StoredTariff:
    row_id: int
    tariff_id: str
    version: int
    organisation_id: str
    currency: str
    ocpi: dict[str, Any]  # exact OCPI object, Decimals restored
    created_at: datetime
    withdrawn_at: datetime | None = None  # the operator withdrew it (newest version only): no longer published

    @property
    def tariff(self) -> Tariff:
        return Tariff.from_ocpi(self.ocpi)

    def to_json(self) -> str:
        return ocpi_json.dumps(self.ocpi, indent=2)


def decimals_as_text(value: Any) -> Any:
    """JSON-ready copy in which every Decimal is plain text (no exponent), so no digit is lost to a float."""
    if isinstance(value, dict):
        return {k: decimals_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decimals_as_text(v) for v in value]
    return format(value, "f") if isinstance(value, Decimal) else value


def _from_store(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _from_store(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_store(v, key) for v in value]
    if key in _DECIMAL_KEYS and isinstance(value, str):
        return Decimal(value)
    if isinstance(value, float):  # a value stored by hand as a JSON number
        return Decimal(repr(value))
    return value


def parse(source: str | bytes | dict[str, Any]) -> Tariff:
    """A validated Tariff from OCPI JSON text or an object; refuses with TariffError (field, reason)."""
    if isinstance(source, dict):
        source = ocpi_json.dumps(source)  # re-read so fractional numbers are Decimal, never float
    tariff = Tariff.from_json(source)
    if not tariff.id:
        raise TariffError([("id", "required: a stored tariff needs its OCPI id (at most 36 characters)")])
    if len(tariff.id) > 36:
        raise TariffError([("id", "at most 36 characters (OCPI CiString(36))")])
    return tariff


def save_tariff(engine: Engine, organisation_id: str, source: str | bytes | dict[str, Any],
                now: datetime | None = None) -> StoredTariff:
    """Store a tariff; if its id exists (for this organisation) this is the next version."""
    tariff = parse(source)
    now = now or datetime.now(timezone.utc)
    with engine.begin() as conn:
        if conn.execute(select(organisations.c.id).where(organisations.c.id == organisation_id)).first() is None:
            raise TariffStoreError("organisation", f"no organisation {organisation_id}")
        owner = conn.execute(select(tariffs.c.organisation_id).where(tariffs.c.tariff_id == tariff.id)).first()
        if owner is not None and owner[0] != organisation_id:
            raise TariffStoreError("id", f"tariff {tariff.id} belongs to another organisation")
        version = (conn.execute(select(func.max(tariffs.c.version)).where(tariffs.c.tariff_id == tariff.id))
                   .scalar() or 0) + 1
        stored = decimals_as_text(tariff.to_ocpi())
        row_id = conn.execute(tariffs.insert().values(
            tariff_id=tariff.id, version=version, organisation_id=organisation_id, currency=tariff.currency,
            ocpi=stored, created_at=now)).inserted_primary_key[0]
        changes.changed(conn, changes.Change(changes.TARIFF, organisation_id, tariff.id, now))
    return StoredTariff(row_id, tariff.id, version, organisation_id, tariff.currency, _from_store(stored), now)


def _stored(row) -> StoredTariff:
    return StoredTariff(row.id, row.tariff_id, row.version, row.organisation_id, row.currency,
                        _from_store(row.ocpi), row.created_at, row.withdrawn_at)


def newest(conn: Connection, tariff_id: str) -> StoredTariff | None:
    """The newest version, read in the caller's transaction (which may be the one that stored it)."""
    row = conn.execute(select(tariffs).where(tariffs.c.tariff_id == tariff_id)
                       .order_by(tariffs.c.version.desc()).limit(1)).first()
    return _stored(row) if row else None


def get_tariff(engine: Engine, tariff_id: str, version: int | None = None) -> StoredTariff | None:
    """A version of a tariff (the newest when `version` is None)."""
    query = select(tariffs).where(tariffs.c.tariff_id == tariff_id)
    query = query.where(tariffs.c.version == version) if version else query.order_by(tariffs.c.version.desc())
    with engine.connect() as conn:
        row = conn.execute(query.limit(1)).first()
    return _stored(row) if row else None


def list_tariffs(engine: Engine, organisation_ids: frozenset[str] | set[str]) -> list[StoredTariff]:
    """The newest version of each tariff of these organisations."""
    newest = (select(tariffs.c.tariff_id, func.max(tariffs.c.version).label("v"))
              .where(tariffs.c.organisation_id.in_(organisation_ids)).group_by(tariffs.c.tariff_id).subquery())
    query = select(tariffs).join(newest, (tariffs.c.tariff_id == newest.c.tariff_id)
                                 & (tariffs.c.version == newest.c.v)).order_by(tariffs.c.tariff_id)
    with engine.connect() as conn:
        return [_stored(r) for r in conn.execute(query)]


def versions_of(engine: Engine, tariff_id: str) -> list[StoredTariff]:
    with engine.connect() as conn:
        rows = conn.execute(select(tariffs).where(tariffs.c.tariff_id == tariff_id).order_by(tariffs.c.version))
        return [_stored(r) for r in rows]


def _scope_org(conn, scope: str, scope_id: str) -> str | None:
    if scope == "organisation":
        return conn.execute(select(organisations.c.id).where(organisations.c.id == scope_id)).scalar()
    if scope == "site":
        return conn.execute(select(sites.c.organisation_id).where(sites.c.id == scope_id)).scalar()
    if scope == "station":
        return conn.execute(select(stations.c.organisation_id).where(stations.c.id == scope_id)).scalar()
    return conn.execute(select(stations.c.organisation_id).join(evses, evses.c.station_id == stations.c.id)
                        .where(evses.c.evse_id == scope_id)).scalar()


def assign(engine: Engine, tariff_id: str, scope: str, scope_id: str, valid_from: datetime | None = None,
           valid_to: datetime | None = None) -> int:
    """Apply a tariff at a scope from `valid_from` (inclusive) to `valid_to` (exclusive); returns the assignment id."""
    if scope not in SCOPES:
        raise TariffStoreError("scope", f"{scope!r}: choose from {', '.join(reversed(SCOPES))}")
    for name, value in (("valid_from", valid_from), ("valid_to", valid_to)):
        if value is not None and value.tzinfo is None:
            raise TariffStoreError(name, "needs a time zone offset, for example 2024-01-01T00:00:00Z")
    if valid_from and valid_to and valid_to <= valid_from:
        raise TariffStoreError("valid_to", "must be after valid_from")
    stored = get_tariff(engine, tariff_id)
    if stored is None:
        raise TariffStoreError("tariff_id", f"no tariff {tariff_id}")
    with engine.begin() as conn:
        owner = _scope_org(conn, scope, scope_id)
        if owner is None:
            raise TariffStoreError(scope, f"no {scope} {scope_id}")
        if owner != stored.organisation_id:  # another organisation's place reads like one that does not exist
            raise TariffStoreError(scope, f"no {scope} {scope_id}")
        return conn.execute(tariff_assignments.insert().values(
            tariff_id=tariff_id, scope=scope, scope_id=scope_id, valid_from=valid_from, valid_to=valid_to,
        )).inserted_primary_key[0]


def withdraw(engine: Engine, tariff_id: str, now: datetime | None = None) -> int:
    """Stop a tariff applying anywhere and stop publishing it (roaming partners are told to delete it, in this
    transaction); its versions stay, since sessions froze them. Returns how many assignments were removed."""
    now = now or datetime.now(timezone.utc)
    with engine.begin() as conn:
        stored = newest(conn, tariff_id)
        if stored is None:
            raise TariffStoreError("tariff_id", f"no tariff {tariff_id}")
        removed = conn.execute(delete(tariff_assignments).where(tariff_assignments.c.tariff_id == tariff_id)).rowcount
        if stored.withdrawn_at is None:
            conn.execute(update(tariffs).where(tariffs.c.id == stored.row_id).values(withdrawn_at=now))
            changes.changed(conn, changes.Change(changes.TARIFF_WITHDRAWN, stored.organisation_id, tariff_id, now))
        return removed


def assignments_of(engine: Engine, tariff_id: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(tariff_assignments).where(tariff_assignments.c.tariff_id == tariff_id)
                            .order_by(tariff_assignments.c.id))
        return [dict(r._mapping) for r in rows]


def tariff_in_force(engine: Engine, at: datetime, organisation_id: str, site_id: str | None = None,
                    station_id: str | None = None, evse_id: str | None = None) -> StoredTariff | None:
    """The newest version of the most specific tariff assigned and valid at `at` (EVSE > station > site > org)."""
    return tariffs_in_force(engine, [(at, organisation_id, site_id, station_id, evse_id)])[0]


def tariffs_in_force(engine: Engine, asked: list[tuple]) -> list[StoredTariff | None]:
    """tariff_in_force for many (at, organisation, site, station, evse) in two queries (the outbox worker freezes a
    batch's tariffs): every assignment of their targets, chosen from here per scope as the one query per scope did
    (valid at `at`, the latest valid_from first, unbounded last, then the newest), then the newest versions."""
    a = tariff_assignments.c
    targets = [{"evse": evse, "station": station, "site": site, "organisation": org}
               for _at, org, site, station, evse in asked]
    by_scope: dict[str, set[str]] = {}
    for wanted in targets:
        for scope, target in wanted.items():
            if target:
                by_scope.setdefault(scope, set()).add(target)
    if not by_scope:
        return [None] * len(asked)
    assigned: dict[tuple[str, str], list] = {}
    with engine.connect() as conn:
        for row in conn.execute(select(a.id, a.scope, a.scope_id, a.tariff_id, a.valid_from, a.valid_to).where(
                or_(*[and_(a.scope == scope, a.scope_id.in_(ids)) for scope, ids in by_scope.items()]))):
            assigned.setdefault((row.scope, row.scope_id), []).append(row)
        chosen = []
        for (at, *_rest), wanted in zip(asked, targets):
            chosen.append(next((_latest(valid) for scope in SCOPES if wanted[scope] and (valid := [
                r for r in assigned.get((scope, wanted[scope]), ())
                if (r.valid_from is None or r.valid_from <= at) and (r.valid_to is None or r.valid_to > at)])),
                None))
        ids = {c.tariff_id for c in chosen if c is not None}
        newest = (select(tariffs.c.tariff_id, func.max(tariffs.c.version).label("v"))
                  .where(tariffs.c.tariff_id.in_(ids)).group_by(tariffs.c.tariff_id).subquery())
        stored = {row.tariff_id: _stored(row) for row in conn.execute(select(tariffs).join(
            newest, and_(newest.c.tariff_id == tariffs.c.tariff_id, newest.c.v == tariffs.c.version)))} \
            if ids else {}
    return [stored.get(c.tariff_id) if c is not None else None for c in chosen]


def _latest(assignments: list):
    """ORDER BY valid_from DESC NULLS LAST, id DESC: the first."""
    return max(assignments, key=lambda r: (r.valid_from is not None, r.valid_from or datetime.min.replace(
        tzinfo=timezone.utc), r.id))
