"""One mapping for the files of one source whose columns differ: per-column defaults, the token type and the roaming
network with its operator, each stored where the ledger keeps it (and equal to what the ledger's projection writes)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from chargeledger.importing import MappingError, import_sessions, parse_mapping
from chargeledger.ledger.store import Ledger
from chargeledger.storage.tables import sessions
from tests.builders import add_network

MAPPING = {
    "source": {"name": "old"},
    "time": {"formats": ["%Y-%m-%d %H:%M"], "time_zone": "Europe/Amsterdam"},
    "columns": {"session_id": "id", "start": "start", "stop": "stop", "energy": "kwh", "station": "cp",
                "token": "card", "token_type": "auth", "network": "via", "operator": "cpo", "provider": "emsp",
                "optional": ["card", "via", "cpo", "emsp"]},
    "defaults": {"auth": "rfid"},
    "values": {"auth": {"app": "APP_USER", "web": "AD_HOC_USER", "rfid": "RFID"},
               "via": {"gireve": "Girève"}},
    "network": {"organisation": "ACME", "site": "ACME-SITE"},
}
# The 2023 export has the auth method and roaming columns; the 2021 one has none of them (nor the card).
NEW = ("id,start,stop,kwh,cp,card,auth,via,cpo,emsp\n"
       "N1,2023-05-01 08:00,2023-05-01 09:00,10,CP-1,AA11,app,,,\n"
       "N2,2023-05-02 08:00,2023-05-02 09:00,11,CP-1,BB22,,gireve,FR*ACM,FR*EMP\n"
       "N3,2023-05-03 08:00,2023-05-03 09:00,12,CP-1,CC33,rfid,Hubject,NL*ACM,\n"
       "N4,2023-05-04 08:00,2023-05-04 09:00,13,CP-1,DD44,voucher,,,\n"
       "N5,2023-05-05 08:00,2023-05-05 09:00,14,CP-1,EE55,rfid,Roamly,,\n"
       "N6,2023-05-06 08:00,2023-05-06 09:00,15,CP-1,FF66,rfid,,NL*ACM,\n")
OLD = ("id,start,stop,kwh,cp\n"
       "O1,2021-02-01 08:00,2021-02-01 09:00,20,CP-1\n")


def _stored(engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(select(sessions.c.external_key, sessions.c.id_token, sessions.c.network,
                                   sessions.c.summary)).all()
    return {key.removeprefix("import:old:"): (token, summary["identity"].get("token_type"), network,
                                              summary["roaming"] and (summary["roaming"]["network"],
                                                                      summary["roaming"]["operator_id"],
                                                                      summary["roaming"]["provider_id"]))
            for key, token, network, summary in rows}


def test_one_mapping_reads_both_exports_with_defaults_token_types_and_networks(engine, tmp_path):
    add_network(engine)
    mapping = parse_mapping(MAPPING)
    new, old = tmp_path / "2023.csv", tmp_path / "2021.csv"
    new.write_text(NEW)
    old.write_text(OLD)

    report = import_sessions(engine, new, mapping)
    assert [(e.line, e.reason) for e in report.errors] == [
        (5, "auth 'voucher' is not a token type (AD_HOC_USER, APP_USER, OTHER, RFID; a [values.auth] table maps "
            "the file's own names)"),
        (6, "via 'Roamly' is not a roaming network (OCPI, Hubject, Girève; a [values.via] table maps the file's "
            "own names)"),
        (7, "via is empty: an operator or provider ID needs the roaming network (a [defaults] value names it for a "
            "file that has none)")]
    assert import_sessions(engine, old, mapping).errors == []

    assert _stored(engine) == {
        "N1": ("AA11", "APP_USER", None, None),
        "N2": ("BB22", "RFID", "Girève", ("Girève", "FR*ACM", "FR*EMP")),  # empty auth: the default
        "N3": ("CC33", "RFID", "Hubject", ("Hubject", "NL*ACM", None)),
        "O1": (None, "RFID", None, None),  # no card, auth or roaming columns at all: the defaults
    }
    # the rows the import wrote without projecting are the rows the ledger's projection writes
    with engine.connect() as conn:
        before = {r.id: r._mapping for r in conn.execute(select(sessions))}
    for session_id in before:
        Ledger(engine).refresh(session_id)
    with engine.connect() as conn:
        assert {r.id: r._mapping for r in conn.execute(select(sessions))} == before


def test_defaults_name_only_mapped_columns_and_operators_need_a_network():
    with pytest.raises(MappingError, match=r"\[defaults\] auht: no \[columns\] entry names that column"):
        parse_mapping({**MAPPING, "defaults": {"auht": "rfid"}})
    with pytest.raises(MappingError, match="is a text as it would be written"):
        parse_mapping({**MAPPING, "defaults": {"auth": 1}})
    columns = {k: v for k, v in MAPPING["columns"].items() if k != "network"}
    with pytest.raises(MappingError, match="operator and provider need"):
        parse_mapping({**MAPPING, "columns": columns, "defaults": {}, "values": {}})


def test_a_column_with_a_default_may_be_missing_but_other_columns_may_not(sqlite_engine, tmp_path):
    add_network(sqlite_engine)
    path = tmp_path / "f.csv"
    path.write_text("id,start,stop,kwh\nX,2023-05-01 08:00,2023-05-01 09:00,1\n")  # no cp: not optional
    with pytest.raises(MappingError, match=r"column\(s\) 'cp' named in the mapping are not in the header"):
        import_sessions(sqlite_engine, path, parse_mapping(MAPPING))


EVSES = {
    "source": {"name": "plugs"},
    "time": {"formats": ["%Y-%m-%d %H:%M"], "time_zone": "UTC"},
    "columns": {"session_id": "id", "start": "start", "stop": "stop", "energy": "kwh", "station": "cp",
                "evse": "evse", "connector": "plug", "connector_type": "kind", "optional": ["cp"]},
    "values": {"kind": {"T2": "Type 2", "CCS2": "CCS"}},
    "network": {"organisation": "ACME", "site": "ACME-SITE", "auto_create_stations": True,
                "auto_create_evses": True, "connector_kw": 22},
}
PLUGS = ("id,start,stop,kwh,cp,evse,plug,kind\n"
         "E1,2023-05-01 08:00,2023-05-01 09:00,10,CP-9,NL*ACM*E9*1,1,T2\n"
         "E2,2023-05-01 10:00,2023-05-01 11:00,10,CP-9,NL*ACM*E9*1,2,CCS2\n"
         "E3,2023-05-01 12:00,2023-05-01 13:00,10,,NL*ACM*E9*1,1,\n"       # no station: the EVSE's
         "E4,2023-05-01 14:00,2023-05-01 15:00,10,CP-1,NL*ACM*E9*1,1,T2\n"  # the EVSE is on CP-9
         "E5,2023-05-01 16:00,2023-05-01 17:00,10,CP-9,Left plug,1,T2\n"
         "E6,2023-05-02 08:00,2023-05-02 09:00,10,CP-9,nl*acm*e9*2,,T2\n"   # normalised; connector 1 created
         "E7,2023-05-02 10:00,2023-05-02 11:00,10,CP-1,NL*ACM*ECP1*1,1,\n"  # registered before, with connector 1
         "E8,2023-05-02 12:00,2023-05-02 13:00,10,CP-1,NL*ACM*ECP1*1,3,\n"  # a new connector without a type
         "E9,2023-05-02 14:00,2023-05-02 15:00,10,CP-9,NL*ACM*E9*1,x,T2\n")


def test_evses_and_connectors_are_created_on_first_sight(engine, tmp_path):
    from chargeledger.storage.tables import connectors, evses

    add_network(engine)  # CP-1 with EVSE NL*ACM*ECP1*1, connector 1
    path = tmp_path / "plugs.csv"
    path.write_text(PLUGS)
    report = import_sessions(engine, path, parse_mapping(EVSES))
    assert [(e.line, e.reason) for e in report.errors] == [
        (5, "EVSE NL*ACM*E9*1 is on station CP-9, not CP-1"),
        (6, "evse: EVSE-ID 'Left plug' is not in the eMI3 form CC*OOO*E<id> (for example NL*ABC*E12345*1)"),
        (9, "kind is empty: connector 3 of EVSE NL*ACM*ECP1*1 is created and needs its type ([network] "
            "connector_type names one for every row)"),
        (10, "plug 'x' is not a connector number (1, 2, …)")]
    with engine.connect() as conn:
        placed = {k.removeprefix("import:plugs:"): (station, evse, connector) for k, station, evse, connector in
                  conn.execute(select(sessions.c.external_key, sessions.c.station_id, sessions.c.evse_id,
                                      sessions.c.connector_id))}
        created = set(conn.execute(select(evses.c.evse_id, evses.c.station_id, evses.c.ocpp_evse_id)).all())
        plugs = set(conn.execute(select(connectors.c.evse_id, connectors.c.connector_id, connectors.c.standard,
                                        connectors.c.current_type, connectors.c.rated_kw)).all())
    assert placed == {"E1": ("CP-9", "NL*ACM*E9*1", 1), "E2": ("CP-9", "NL*ACM*E9*1", 2),
                      "E3": ("CP-9", "NL*ACM*E9*1", 1), "E6": ("CP-9", "NL*ACM*E9*2", None),
                      "E7": ("CP-1", "NL*ACM*ECP1*1", 1)}
    assert created == {("NL*ACM*ECP1*1", "CP-1", 1), ("NL*ACM*E9*1", "CP-9", 1), ("NL*ACM*E9*2", "CP-9", 2)}
    assert {(e, n, s, c, int(kw)) for e, n, s, c, kw in plugs} == {
        ("NL*ACM*ECP1*1", 1, "Type 2", "AC", 22), ("NL*ACM*E9*1", 1, "Type 2", "AC", 22),
        ("NL*ACM*E9*1", 2, "CCS", "DC", 22), ("NL*ACM*E9*2", 1, "Type 2", "AC", 22)}
    again = import_sessions(engine, path, parse_mapping(EVSES))  # nothing created twice
    assert again.imported == 0 and again.skipped == 5


def test_evses_are_created_only_when_the_mapping_says_so():
    with pytest.raises(MappingError, match="auto_create_evses needs"):
        parse_mapping({**EVSES, "network": {**EVSES["network"], "connector_kw": 0}})
    with pytest.raises(MappingError, match="connector_type is one of"):
        parse_mapping({**EVSES, "network": {**EVSES["network"], "connector_type": "Schuko"}})
    columns = {k: v for k, v in EVSES["columns"].items() if k != "evse"}
    with pytest.raises(MappingError, match="connector and connector_type need"):
        parse_mapping({**EVSES, "columns": columns, "network": {"organisation": "ACME", "site": "ACME-SITE"}})
