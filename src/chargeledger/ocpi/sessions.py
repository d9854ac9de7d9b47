"""Sessions and CDRs of a partner's drivers as OCPI 2.2.1 objects.

A session belongs to a partner when its token is one the partner pushed, authorised in real time, or sent with a
START_SESSION (ocpi_tokens). Its OCPI id is the ledger's session id; each settlement version is one CDR (cdr_id), and
a re-priced session's earlier CDR is credited by a credit CDR whose last_updated is the re-pricing's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from ..domain.people import token_key
from ..ledger.store import Ledger
from ..reports.source import joined_rows
from ..roaming.cdr_model import CdrRefused, cdr_id
from ..roaming.ocpi.cdr import ocpi_cdr
from ..storage.tables import ocpi_partners, ocpi_tokens, organisations, session_settlements as ss, sessions as s
from . import partners as store
from .numbers import wire
from .objects.sessions import Cdr, Session

_COMMAND_STARTS = {"Remote", "Mobile app", "API"}
_DONE = {"Stopped", "Completed", "Cancelled", "Failed"}


@dataclass(frozen=True)
class Owner:
    partner: store.Partner
    token: dict[str, Any]

    @property
    def party(self) -> tuple[str, str]:
        """The eMSP whose driver this is: the partner itself, or a party behind it when the partner is a hub."""
        return self.token["country_code"].upper(), self.token["party_id"].upper()


def owner_of(conn: Connection, session_id: int) -> Owner | None:
    """The registered partner whose token started the session, if any."""
    return owners_of(conn, [session_id]).get(session_id)


def owners_of(conn: Connection, session_ids) -> dict[int, Owner]:
    """owner_of for many sessions in two queries (the outbox worker's batches): per session, the registered partner
    of its organisation whose token has the session's uid, the most recently updated token if several."""
    wanted = {r.id: (token_key(r.id_token), r.organisation_id) for r in conn.execute(
        select(s.c.id, s.c.id_token, s.c.organisation_id).where(s.c.id.in_(list(session_ids)))) if r.id_token}
    if not wanted:
        return {}
    t = ocpi_tokens.c
    best: dict[tuple[str, str], Any] = {}
    for row in conn.execute(select(ocpi_partners, t.token.label("ocpi_token"), t.uid_key.label("ocpi_uid_key"))
                            .join(ocpi_tokens, t.partner_id == ocpi_partners.c.id)
                            .where(t.uid_key.in_({key for key, _org in wanted.values()}),
                                   ocpi_partners.c.organisation_id.in_({org for _key, org in wanted.values()}),
                                   ocpi_partners.c.status == store.REGISTERED)
                            .order_by(t.last_updated.desc(), t.partner_id)):
        best.setdefault((row.ocpi_uid_key, row.organisation_id), row)  # the first one is the newest
    return {sid: Owner(store.to_partner(best[key]), best[key].ocpi_token) for sid, key in wanted.items()
            if key in best}


def cdr_token(token: dict[str, Any]) -> dict[str, Any]:
    return {k: token[k] for k in ("country_code", "party_id", "uid", "type", "contract_id")}


def _auth_method(summary: dict) -> str:
    return "COMMAND" if summary.get("start_source") in _COMMAND_STARTS else "WHITELIST"


def session_object(conn: Connection, owner: Owner, session_id: int) -> dict[str, Any] | None:
    return session_objects(conn, {session_id: owner}).get(session_id)


def session_objects(conn: Connection, owners: dict[int, Owner]) -> dict[int, dict[str, Any] | None]:
    """session_object for many sessions, read in one query."""
    if not owners:
        return {}
    rows = conn.execute(select(s, organisations.c.currency.label("org_currency"), ss.c.currency.label("paid_in"),
                               ss.c.total_cost_excl_vat, ss.c.total_cost_incl_vat)
                        .join(organisations, organisations.c.id == s.c.organisation_id)
                        .outerjoin(ss, and_(ss.c.session_id == s.c.id, ss.c.current.is_(True)))
                        .where(s.c.id.in_(list(owners))))
    found = {row.id: row for row in rows}
    return {sid: _session_object(conn, owner, found.get(sid)) for sid, owner in owners.items()}


def _session_object(conn: Connection, owner: Owner, row) -> dict[str, Any] | None:
    if row is None or row.started_at is None or not row.evse_id:
        return None  # not started yet: nothing a partner can bill
    summary = row.summary or {}
    partner = owner.partner
    done = row.status in _DONE or row.stopped_at is not None
    energy_wh, last_updated = row.energy_wh, row.last_event_at or row.started_at
    if not done:  # meter readings are stored without refreshing the summary: the energy so far, from them
        energy = Ledger(conn.engine).project(row.id, connection=conn).energy
        energy_wh = energy.energy_wh
        if energy.register:
            last_updated = max(last_updated, energy.register[-1][0])
    session = {
        "country_code": partner.our_country_code, "party_id": partner.our_party_id, "id": str(row.id),
        "start_date_time": row.started_at, "end_date_time": row.stopped_at if done else None,
        "kwh": (Decimal(str(energy_wh or 0)) / 1000), "cdr_token": cdr_token(owner.token),
        "auth_method": _auth_method(summary), "location_id": row.site_id, "evse_uid": row.evse_id,
        "connector_id": str(row.connector_id or 1), "currency": row.paid_in or row.org_currency,
        "status": "COMPLETED" if done else "ACTIVE", "last_updated": last_updated,
    }
    if row.total_cost_excl_vat is not None:
        session["total_cost"] = {"excl_vat": row.total_cost_excl_vat, "incl_vat": row.total_cost_incl_vat}
    session = wire(session)
    Session.model_validate(session)
    return session


def active_sessions(conn: Connection) -> list[int]:
    """Sessions under way that a registered partner's token started: their energy is pushed as it grows."""
    t = ocpi_tokens.c
    return list(conn.execute(
        select(s.c.id).join(ocpi_tokens, t.uid_key == func.lower(s.c.id_token))
        .join(ocpi_partners, and_(ocpi_partners.c.id == t.partner_id,
                                  ocpi_partners.c.organisation_id == s.c.organisation_id))
        .where(ocpi_partners.c.status == store.REGISTERED, s.c.stopped_at.is_(None), s.c.started_at.is_not(None),
               s.c.status.not_in(tuple(_DONE))).distinct()).scalars())


def partner_sessions(conn: Connection, partner: store.Partner) -> list[int]:
    """Ids of the sessions started with this partner's tokens, oldest first."""
    t = ocpi_tokens.c
    return list(conn.execute(select(s.c.id).join(ocpi_tokens, and_(t.uid_key == func.lower(s.c.id_token),
                                                                  t.partner_id == partner.id))
                             .where(s.c.organisation_id == partner.organisation_id).distinct().order_by(s.c.id))
                .scalars())


def _cdr(row, owner: Owner, credit_of: str | None = None, last_updated=None) -> dict[str, Any]:
    cdr = ocpi_cdr(row, credit_of)
    cdr.update(country_code=owner.partner.our_country_code, party_id=owner.partner.our_party_id,
               cdr_token=cdr_token(owner.token), auth_method=_auth_method(row.summary or {}))
    if last_updated is not None:
        cdr["last_updated"] = last_updated
    cdr = wire(cdr)
    Cdr.model_validate(cdr)
    return cdr


@lru_cache(maxsize=1)
def _every_version():
    """Each session with each of its settlement versions, as the reports join them. Built once: building this
    select costs about 5 ms, more than running it for a session."""
    return joined_rows(ss.c.session_id == s.c.id)


def cdrs_of(conn: Connection, owner: Owner, session_id: int, version: int | None = None) -> list[dict[str, Any]]:
    """The CDRs of a session in the order they are sent: per settlement version, the credit of the version it
    replaces, then its own CDR. With `version`, only that version's."""
    return cdrs_of_many(conn, {session_id: owner}, version)[session_id]


def cdrs_of_many(conn: Connection, owners: dict[int, Owner], version: int | None = None
                 ) -> dict[int, list[dict[str, Any]]]:
    """cdrs_of for many sessions, read in one query."""
    rows: dict[int, list] = {sid: [] for sid in owners}
    if owners:
        # the join to settlements is an outer one (the reports list unpriced sessions too): a session under way,
        # or stopped and not priced yet, has no CDR
        for row in conn.execute(_every_version().where(s.c.id.in_(list(owners)), ss.c.version.is_not(None))
                                .order_by(s.c.id, ss.c.version)):
            rows[row.session_id].append(row)
    return {sid: _cdrs(owners[sid], sid, found, version) for sid, found in rows.items()}


def _cdrs(owner: Owner, session_id: int, rows: list, version: int | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    earlier = None
    for row in rows:
        if version is None or row.settlement_version == version:
            try:
                if earlier is not None:
                    out.append(_cdr(earlier, owner, cdr_id(session_id, earlier.settlement_version), row.settled_at))
                out.append(_cdr(row, owner))
            except CdrRefused:
                pass  # a site without coordinates: no valid OCPI CDR can be made (logged by the caller's count)
        earlier = row
    return out
