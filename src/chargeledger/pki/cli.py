"""`chargeledger ca create` (a certificate authority for a test lab, with the gateway's TLS server certificate) and
`chargeledger certificate list|revoke` (the certificates our CA issued to stations)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    ca_app = typer.Typer(help="The operator's certificate authority for station certificates (OCPP security).")
    certificate_app = typer.Typer(help="Certificates our CA issued to stations.")
    app.add_typer(ca_app, name="ca")
    app.add_typer(certificate_app, name="certificate")

    @ca_app.command("create")
    def create(folder: Path = typer.Argument(..., help="where ca.pem, ca.key, server.pem and server.key go"),
               name: str = typer.Option("ChargeLedger station CA", help="the CA's common name"),
               organisation: str = typer.Option(None, help="the CA's organisation (O)"),
               host: list[str] = typer.Option(["localhost", "127.0.0.1"], "--host",
                                              help="names of the gateway in its TLS server certificate"),
               days: int = typer.Option(3650, min=1)) -> None:
        """A self-signed CA for a test lab, and the gateway's TLS certificate from it. Production CAs are the
        operator's own: point CHARGELEDGER_CA_CERTIFICATE / CHARGELEDGER_CA_KEY at them."""
        from .authority import create as make, issue_server, load
        if (folder / "ca.key").exists():
            raise typer.BadParameter(f"{folder / 'ca.key'} exists: a CA is not replaced", param_hint="FOLDER")
        cert, key = make(folder, name, organisation, days)
        server_cert, server_key = issue_server(load(cert, key), folder, host)
        typer.echo(f"CA: {cert} (key {key}, readable only by you)")
        typer.echo(f"gateway TLS: --tls-cert {server_cert} --tls-key {server_key}")
        typer.echo(f"set CHARGELEDGER_CA_CERTIFICATE={cert} CHARGELEDGER_CA_KEY={key}; stations install {cert} as "
                   "the CSMS root (InstallCertificate)")

    @certificate_app.command("list")
    def list_(station_id: str) -> None:
        """A station's certificates: serial, status, expiry, revocation."""
        from ..storage.database import make_engine
        from .issued import of_station
        for row in of_station(make_engine(), station_id):
            revoked = f"  revoked {row['revoked_at']:%Y-%m-%dT%H:%M:%SZ} ({row['revocation_reason']})" \
                if row["revoked_at"] else ""
            typer.echo(f"{row['serial_number']}  {row['certificate_type']}  {row['status']}  "
                       f"until {row['not_after']:%Y-%m-%dT%H:%M:%SZ}  {row['subject']}{revoked}")

    @certificate_app.command("revoke")
    def revoke(serial: str = typer.Argument(..., help="the serial number in hex, as `certificate list` shows"),
               reason: str = typer.Option("unspecified", help="RFC 5280: keyCompromise, superseded, "
                                                              "cessationOfOperation, …")) -> None:
        """Revoke a station certificate: OCSP answers revoked, and the gateway refuses it at once."""
        from ..cli.main import audited
        from ..storage.database import make_engine
        from .issued import UnknownCertificate, revoke as mark
        from ..storage.tables import stations
        from sqlalchemy import select
        engine = make_engine()
        try:
            row = mark(engine, serial, reason, datetime.now(timezone.utc))
        except (UnknownCertificate, ValueError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        with engine.connect() as conn:
            organisation = conn.execute(select(stations.c.organisation_id)
                                        .where(stations.c.id == row["station_id"])).scalar()
        audited("certificate.revoke", "station", row["station_id"], organisation, serial=row["serial_number"],
                reason=row["revocation_reason"])
        typer.echo(f"certificate {row['serial_number']} of {row['station_id']} revoked ({row['revocation_reason']})")
