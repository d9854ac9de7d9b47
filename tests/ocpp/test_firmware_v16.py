"""OCPP 1.6J Firmware Management and the security extension over a real websocket: UpdateFirmware and the
firmware statuses, GetDiagnostics with the file landing on our upload endpoint (a real HTTP server), security
events, signed firmware statuses and certificate signing requests."""

from __future__ import annotations

import hashlib

import httpx
from ocpp.v16 import call

from tests.builders import add_network, add_user_key, at
from tests.http.live import serving
from tests.ocpp.helpers import api, gateway_on, iso
from tests.ocpp.lab16 import lab_charger


async def test_firmware_update_reports_each_step(engine):
    add_network(engine)
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["stations"])
    async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp, \
            api(engine, gateway, key) as client:
        asked = await client.post("/api/stations/CP-1/firmware", json={
            "location": "https://firmware.example/eve-6.2.bin", "retrieve_date": "2024-03-05T08:00:00Z",
            "retries": 3})
        assert asked.status_code == 200, asked.text
        assert cp.requests[-1] == ("UpdateFirmware", {"location": "https://firmware.example/eve-6.2.bin",
                                                      "retrieve_date": "2024-03-05T08:00:00Z", "retries": 3})
        for status in ("Downloading", "Downloaded", "Installing", "Installed"):
            await cp.call(call.FirmwareStatusNotification(status=status))
        state = (await client.get("/api/stations/CP-1/firmware")).json()
        failures = {}
        for last in ("DownloadFailed", "InstallationFailed"):  # TC_044_2 and TC_044_3
            await client.post("/api/stations/CP-1/firmware", json={
                "location": "https://firmware.example/eve-6.3.bin", "retrieve_date": "2024-03-06T08:00:00Z"})
            steps = ["Downloading"] if last == "DownloadFailed" else ["Downloading", "Downloaded", "Installing"]
            for status in [*steps, last]:
                await cp.call(call.FirmwareStatusNotification(status=status))
            failures[last] = (await client.get("/api/stations/CP-1/firmware")).json()["firmware"]
        naive = await client.post("/api/stations/CP-1/firmware", json={
            "location": "https://x/f.bin", "retrieve_date": "2024-03-05T08:00:00"})
    assert state["firmware"]["status"] == "Installed"
    assert state["firmware"]["requested"]["location"] == "https://firmware.example/eve-6.2.bin"
    assert naive.status_code == 422
    assert {k: (v["status"], v["requested"]["location"]) for k, v in failures.items()} == {
        "DownloadFailed": ("DownloadFailed", "https://firmware.example/eve-6.3.bin"),
        "InstallationFailed": ("InstallationFailed", "https://firmware.example/eve-6.3.bin")}


async def test_diagnostics_land_on_our_upload_endpoint(engine):
    add_network(engine)
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["stations"])
    content = b"PK\x03\x04 diagnostics of CP-1 " * 1000
    # the API through ASGI (it shares the gateway's event loop); the upload through a real HTTP server
    with serving(engine) as (base, _app):
        async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp, \
                api(engine, gateway, key) as client:
            asked = await client.post("/api/stations/CP-1/diagnostics", json={
                "start_time": "2024-03-05T00:00:00Z", "stop_time": "2024-03-05T08:00:00Z", "upload_base_url": base})
            assert asked.json()["answer"] == {"file_name": "diagnostics-lab.zip"}
            location = cp.requests[-1][1]["location"]
            assert location.startswith(f"{base}/uploads/CP-1/")
            await cp.call(call.DiagnosticsStatusNotification(status="Uploading"))
            async with httpx.AsyncClient() as station:  # the charger uploads, without any API key
                stored = await station.post(location, files={"file": ("diagnostics-lab.zip", content)})
                again = await station.put(location, content=b"replay")
                forged = await station.put(location.rsplit("/", 1)[0] + "/not-the-token", content=b"x")
            assert stored.status_code == 200, stored.text
            assert (again.status_code, forged.status_code) == (404, 404)  # the token is spent; guesses fail
            await cp.call(call.DiagnosticsStatusNotification(status="Uploaded"))
            state = (await client.get("/api/stations/CP-1/firmware")).json()
            file_id = state["files"][0]["id"]
            downloaded = await client.get(f"/api/stations/CP-1/files/{file_id}")
    assert state["diagnostics"]["status"] == "Uploaded"
    assert state["diagnostics"]["uploaded_file_id"] == file_id
    assert state["files"][0]["sha256"] == hashlib.sha256(content).hexdigest()
    assert downloaded.content == content


async def test_security_extension_messages(engine):
    add_network(engine)
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["stations"])
    async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp, \
            api(engine, gateway, key) as client:
        await cp.call(call.SecurityEventNotification(type="FirmwareUpdated", timestamp=iso(at(0)),
                                                     tech_info="6.2.0"))
        await cp.call(call.SecurityEventNotification(type="InvalidCentralSystemCertificate", timestamp=iso(at(1)),
                                                     tech_info=None))
        await cp.call(call.SignedFirmwareStatusNotification(status="InvalidSignature", request_id=7))
        signing = await cp.call(call.SignCertificate(csr="-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n"))
        assert signing.status == "Accepted"
        bad = await client.post("/api/stations/CP-1/commands/InstallCertificate", json={"certificateType": "X"})
        assert bad.status_code == 400
        state = (await client.get("/api/stations/CP-1/firmware")).json()
    assert [e["type"] for e in state["security_events"]] == ["InvalidCentralSystemCertificate", "FirmwareUpdated"]
    assert state["security_events"][1]["tech_info"] == "6.2.0"
    assert (state["firmware"]["status"], state["firmware"]["request_id"]) == ("InvalidSignature", 7)


async def test_diagnostics_over_ftp_land_in_the_same_store(engine):
    """Most 1.6 chargers upload only over FTP: the location names our FTP server with the station id as user and a
    one-time token as password. A real ftplib client stores the file; it reads back through the API like an HTTP
    upload; the spent token, a wrong one and a file beyond the limit are refused."""
    import asyncio
    import ftplib
    import io
    from urllib.parse import unquote, urlsplit

    from chargeledger.http.app import create_app
    from chargeledger.ocpp.ftp_uploads import FtpSettings, FtpUploads

    add_network(engine)
    key = add_user_key(engine, "ops@acme.example", ["ACME"], ["stations"])
    content = b"PK\x03\x04 diagnostics of CP-1 over FTP " * 2000
    ftp = FtpUploads(engine, FtpSettings(0, max_upload_bytes=len(content), failed_login_delay=0.05)).start()

    def upload(location: str, data: bytes, name: str = "diagnostics-lab.zip") -> str:
        parts = urlsplit(location)
        with ftplib.FTP() as session:  # the charger's side: a real FTP client, passive mode
            session.connect(parts.hostname, parts.port, timeout=5)
            session.login(unquote(parts.username), unquote(parts.password))
            session.cwd(parts.path or "/")
            return session.storbinary(f"STOR {name}", io.BytesIO(data))

    try:
        async with gateway_on(engine) as gateway, lab_charger(gateway, "CP-1") as cp, httpx.AsyncClient(
                transport=httpx.ASGITransport(app=create_app(engine, gateway, ftp_uploads=ftp)),
                base_url="http://test", headers={"Authorization": f"Bearer {key}"}) as client:
            asked = await client.post("/api/stations/CP-1/diagnostics", json={"transport": "ftp"})
            assert asked.json()["answer"] == {"file_name": "diagnostics-lab.zip"}
            location = cp.requests[-1][1]["location"]
            assert location.startswith(f"ftp://CP-1:") and location.endswith(f"@127.0.0.1:{ftp.port}/")
            forged = location.replace("ftp://CP-1:", "ftp://CP-1:not-the-token-")
            try:
                await asyncio.to_thread(upload, forged, b"x")
                raise AssertionError("a made-up token logged in")
            except ftplib.error_perm as refused:
                assert str(refused).startswith("530")
            assert (await asyncio.to_thread(upload, location, content)).startswith("226")
            try:
                await asyncio.to_thread(upload, location, b"replay")
                raise AssertionError("a spent token logged in again")
            except ftplib.error_perm as refused:
                assert str(refused).startswith("530")
            await cp.call(call.DiagnosticsStatusNotification(status="Uploaded"))
            state = (await client.get("/api/stations/CP-1/firmware")).json()
            downloaded = await client.get(f"/api/stations/CP-1/files/{state['files'][0]['id']}")
            # a file beyond the upload limit is cut off and not stored (the token stays for a retry)
            await client.post("/api/stations/CP-1/diagnostics", json={"transport": "ftp"})
            try:
                await asyncio.to_thread(upload, cp.requests[-1][1]["location"], content + b"more")
                raise AssertionError("a file beyond the limit was taken")
            except ftplib.error_perm as cut:
                assert str(cut).startswith("552")
            after = (await client.get("/api/stations/CP-1/firmware")).json()["files"]
    finally:
        await asyncio.to_thread(ftp.stop)
    assert [(f["file_name"], f["size"]) for f in state["files"]] == [("diagnostics-lab.zip", len(content))]
    assert state["diagnostics"]["uploaded_file_id"] == state["files"][0]["id"]
    assert downloaded.content == content
    assert len(after) == 1
