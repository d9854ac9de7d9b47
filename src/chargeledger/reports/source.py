"""The one joined row every report reads: session, station, site, organisation, connector, current settlement, payment."""

from __future__ import annotations

from sqlalchemy import JSON, Text, and_, cast, func, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from ..storage.tables import (
    connectors, organisations, payments, session_settlements as ss, sessions as s, sites, stations,
)
from .reader import Lookup

_RENAMED = {"id": "settlement_id", "session_id": None, "currency": "price_currency", "version": "settlement_version",
            "current": None}


def _settlement_columns():
    return [column.label(_RENAMED.get(column.name, column.name)) for column in ss.c
            if _RENAMED.get(column.name, column.name)]


def joined_rows(settlement_join=None) -> Select:
    """Sessions with everything a report column may need; `settlement_join` replaces 'the current settlement'."""
    pay = payments.alias("pay")
    # the session's last payment, looked up by index per session: a join to every session's last payment
    # aggregated the whole payments table in each query, one per report part (an anti-join, "no later payment",
    # cost SQLite 10 µs a row more than this lookup)
    last_payment = pay.c.id == (select(func.max(payments.c.id)).where(payments.c.session_id == s.c.id)
                                .correlate(s).scalar_subquery())
    settlement_on = settlement_join if settlement_join is not None else and_(
        ss.c.session_id == s.c.id, ss.c.current == true())
    return (
        select(
            s.c.id.label("session_id"), s.c.external_key, s.c.organisation_id, s.c.site_id, s.c.station_id,
            s.c.evse_id, s.c.connector_id, s.c.transaction_id, s.c.status, s.c.started_at, s.c.stopped_at,
            s.c.energy_wh, s.c.id_token, s.c.driver_id, s.c.network, s.c.summary, s.c.created_at,
            # a few summary values read by the database: the summary differs per session (its meter readings),
            # these repeat, so cells reading them are remembered by them rather than computed every row
            s.c.summary["charging_seconds"].as_float().label("summary_charging_seconds"),
            s.c.summary["start_source"].as_string().label("summary_start_source"),
            s.c.summary["failure_reason"].as_string().label("summary_failure_reason"),
            s.c.summary["stop_reason"].as_string().label("summary_stop_reason"),
            s.c.summary[("roaming", "provider_id")].as_string().label("roaming_provider_id"),
            s.c.summary[("roaming", "roaming_cdr_id")].as_string().label("roaming_cdr_id"),
            stations.c.name.label("station_name"), stations.c.serial_number, stations.c.sticker_id,
            stations.c.vendor.label("station_vendor"), stations.c.note.label("station_note"),
            stations.c.status.label("station_status"), stations.c.free_usage, stations.c.billing_profile,
            sites.c.name.label("site_name"), sites.c.address.label("site_address"),
            sites.c.zip_code.label("site_zip"), sites.c.city.label("site_city"), sites.c.state.label("site_state"),
            sites.c.country.label("site_country"), sites.c.time_zone.label("site_time_zone"),
            sites.c.ou_code.label("site_ou_code"), sites.c.latitude, sites.c.longitude,
            organisations.c.name.label("organisation_name"), organisations.c.currency.label("organisation_currency"),
            organisations.c.public.label("organisation_public"), organisations.c.ou_code.label("organisation_ou_code"),
            connectors.c.standard.label("connector_standard"), connectors.c.current_type,
            connectors.c.rated_kw,
            *_settlement_columns(),
            pay.c.method.label("payment_method"), pay.c.gateway.label("payment_gateway"), pay.c.card_last4,
            pay.c.preauth_amount, pay.c.prepaid_plan, pay.c.failed_amount, pay.c.failure_reason,
            pay.c.unsettled_amount,
        )
        .select_from(s)
        .join(organisations, organisations.c.id == s.c.organisation_id)
        .outerjoin(stations, stations.c.id == s.c.station_id)
        .outerjoin(sites, sites.c.id == s.c.site_id)
        .outerjoin(connectors, and_(connectors.c.evse_id == s.c.evse_id,
                                    connectors.c.connector_id == func.coalesce(s.c.connector_id, 1)))
        .outerjoin(ss, settlement_on)
        .outerjoin(pay, last_payment)
    )


# The tables joined many-to-one to sessions in joined_rows, by the same conditions: a CSV report reads their
# fields from a table of their rows (reports/reader.py) instead of with every session.
LOOKUPS = (
    Lookup(organisations, (organisations.c.id,), (s.c.organisation_id,)),
    Lookup(stations, (stations.c.id,), (s.c.station_id,)),
    Lookup(sites, (sites.c.id,), (s.c.site_id,)),
    Lookup(connectors, (connectors.c.evse_id, connectors.c.connector_id),
           (s.c.evse_id, func.coalesce(s.c.connector_id, 1))),
)


def in_frame(request, moment) -> list:
    """What every report and export asks of a session: `moment` in the time frame, on the requested organisations'
    stations, through the requested network if one is."""
    return [moment >= request.start, moment < request.end, s.c.organisation_id.in_(request.organisation_ids),
            *([s.c.network == request.network] if request.network else [])]


def report_query(request, extra_where: list) -> Select:
    """Sessions started in the time frame, oldest first."""
    return joined_rows().where(*in_frame(request, s.c.started_at), *extra_where).order_by(s.c.started_at, s.c.id)


def only(query: Select, fields: set[str]) -> Select:
    """The query selecting only `fields`, JSON as its text (the cells read it with DuckDB's JSON functions)."""
    chosen = []
    for column in query.selected_columns:
        if column.key not in fields:
            continue
        if isinstance(column.type, JSON):
            column = cast(getattr(column, "element", column), Text).label(column.key)
        chosen.append(column)
    return query.with_only_columns(*chosen, maintain_column_froms=False)


def count(conn: Connection, query: Select) -> int:
    return conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
