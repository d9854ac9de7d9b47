"""OCPP security profiles per station (1: HTTP Basic, 2: Basic over TLS, 3: TLS client certificate) and raising
them (1.6 security whitepaper, 2.0.1 A05 / TC_A_19): the operator sends ChangeConfiguration SecurityProfile (1.6) or
SetNetworkProfile with a higher securityProfile (2.0.1); once the station accepted and then connected at that
profile, a connection below it is refused for good. A profile is never lowered, profile 2 or 3 needs the CSMS root
installed on the station first (InstallCertificate), and profile 3 a certificate of our CA the station accepted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select, update

from ..pki import issued
from ..storage.tables import station_certificates, stations
from . import commands, installed_certificates, station_state

UPGRADE = "security_profile_upgrade"


def of_connection(tls: bool, certified: bool) -> int:
    return 3 if certified else 2 if tls else 1


def minimum(engine: Engine, station_id: str) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(stations.c.security_profile).where(stations.c.id == station_id)).scalar()


def asked_for(version: str, name: str, payload: dict) -> int | None:
    """The profile a command raises the station to, if it is such a command."""
    try:
        if version == "1.6" and name == "ChangeConfiguration" and payload.get("key") == "SecurityProfile":
            return int(payload.get("value"))
        if version == "2.0.1" and name == "SetNetworkProfile":
            return int((payload.get("connectionData") or {}).get("securityProfile"))
    except (TypeError, ValueError):
        raise commands.BadCommand("the security profile is 1, 2 or 3") from None
    return None


def check_raise(engine: Engine, station_id: str, to: int, signing: bool, at: datetime) -> None:
    """Refuse (BadCommand) a change the station could not come back from, before it is sent."""
    if to not in (1, 2, 3):
        raise commands.BadCommand("the security profile is 1, 2 or 3")
    held = minimum(engine, station_id) or 1
    if to < held:
        raise commands.BadCommand(f"station {station_id} is at security profile {held}: a profile is never lowered")
    if to >= 2 and not installed_certificates.holds_csms_root(engine, station_id):
        raise commands.BadCommand(f"install the CSMS root certificate on {station_id} first (InstallCertificate): "
                                  "without it the station cannot check our TLS server")
    if to == 3 and signing and issued.installed(engine, station_id, at) is None:
        raise commands.BadCommand(f"{station_id} holds no valid certificate of our CA: have it send a certificate "
                                  "signing request first (ExtendedTriggerMessage / TriggerMessage SignCertificate)")


def asked(engine: Engine, station_id: str, to: int, answer: dict, by: str | None, at: datetime) -> None:
    """The station took the new profile (it applies it when it reconnects)."""
    if answer.get("status") in ("Accepted", "RebootRequired"):
        with engine.begin() as conn:
            conn.execute(update(stations).where(stations.c.id == station_id).values(security_profile_asked=to))
        station_state.remember(engine, station_id, UPGRADE, {"to": to, "status": "Asked", "asked_at": at.isoformat(),
                                                            "by": by}, at)


def admitted(engine: Engine, station, profile: int, at: datetime) -> str | None:
    """Why a connection at `profile` is refused, or None (`station`: its StationInfo, read at this handshake); a
    connection at the profile it accepted completes the upgrade: from then on nothing lower gets in."""
    held, asked_for = station.security_profile, station.security_profile_asked
    if held and profile < held:
        return f"station {station.id} must connect with security profile {held} (this connection: {profile})"
    if asked_for and profile >= asked_for:
        with engine.begin() as conn:
            conn.execute(update(stations).where(stations.c.id == station.id).values(
                security_profile=max(asked_for, held or 0), security_profile_asked=None))
        pending = station_state.recall(engine, station.id, UPGRADE) or {"to": asked_for}
        station_state.remember(engine, station.id, UPGRADE, {**pending, "status": "Done", "done_at": at.isoformat()},
                               at)
    return None


def revoked_among(engine: Engine, serials: set[str]) -> set[str]:
    """Which of these client certificate serial numbers (as TLS spells them) our CA has revoked."""
    spelled = {issued.serial_hex(s): s for s in serials}
    with engine.connect() as conn:
        rows = conn.execute(select(station_certificates.c.serial_number).where(
            station_certificates.c.serial_number.in_(list(spelled)), station_certificates.c.revoked_at.is_not(None)))
        return {spelled[r] for r in rows.scalars()}


def client_certificate_refused(engine: Engine, station_id: str, names: set[str], serial: str | None) -> str | None:
    """Why a client certificate (already verified against a CA we trust) does not let this station in, or None: a
    certificate our CA issued must be this station's and not revoked; another CA's must name the station (CN)."""
    found = issued.find(engine, serial) if serial else None
    if found is not None:
        if found["station_id"] != station_id:
            return "the client certificate was issued to another station"
        if found["revoked_at"] is not None:
            return f"the client certificate was revoked ({found['revocation_reason']})"
        return None
    if station_id not in names:
        return "the client certificate was issued for another station"
    return None
