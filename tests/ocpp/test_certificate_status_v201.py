"""2.0.1 GetCertificateStatus (M06, TC_M_24-26) answered with real OCSP responses for certificates of our own CA,
signed by it: good, then revoked after the operator revoked it, unknown for a serial it never issued; Failed for
another CA's certificate (no responder we can reach offline). Get15118EVCertificate (TC_M_28) is Failed: no Mobility
Operator PKI. The station reads the response as a station would, with `cryptography.x509.ocsp`."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp as x509_ocsp
from ocpp.v201 import call

from chargeledger.ocpp.station_state import recall
from chargeledger.pki.ocsp import read
from tests.builders import add_network
from tests.ocpp.certificates import Authority, Lab
from tests.ocpp.helpers import api, charger, gateway_on, support_key
from tests.ocpp.test_certificate_signing import Holder201, answered, sign


def request_data(certificate: x509.Certificate, issuer: x509.Certificate, serial: int | None = None) -> dict:
    """The OCSPRequestData a station sends for its certificate: the certificate id of an OCSP request."""
    built = x509_ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA256()).build()
    return {"hashAlgorithm": "SHA256", "issuerNameHash": built.issuer_name_hash.hex(),
            "issuerKeyHash": built.issuer_key_hash.hex(),
            "serialNumber": format(serial if serial is not None else built.serial_number, "x"),
            "responderURL": "http://ocsp.lab.example"}


async def status_of(cp, lab, data) -> x509_ocsp.OCSPResponse:
    answer = await cp.call(call.GetCertificateStatus(ocsp_request_data=data))
    assert answer.status == "Accepted", answer
    response = read(answer.ocsp_result)
    assert response.response_status == x509_ocsp.OCSPResponseStatus.SUCCESSFUL
    lab.ca.certificate.public_key().verify(response.signature, response.tbs_response_bytes,
                                           ec.ECDSA(response.signature_hash_algorithm))  # signed by our CA
    assert response.serial_number == int(data["serialNumber"], 16)
    return response


async def test_ocsp_answers_good_revoked_and_unknown_for_our_certificates(engine, tmp_path):
    lab = Lab(tmp_path)
    add_network(engine, ocpp="2.0.1")
    async with gateway_on(engine, **lab.gateway_settings()) as gateway, \
            charger(gateway, "CP-1", "2.0.1", cls=Holder201) as cp:
        _, chain, _ = await sign(cp, "2.0.1")
        mine = x509.load_pem_x509_certificate(chain.encode())
        data = request_data(mine, lab.ca.certificate)

        good = await status_of(cp, lab, data)
        assert good.certificate_status == x509_ocsp.OCSPCertStatus.GOOD
        assert good.next_update_utc > good.this_update_utc

        serial = format(mine.serial_number, "x")
        await answered(engine, serial, "Accepted")  # the station's answer is in before the operator looks
        async with api(engine, gateway, support_key(engine)) as client:  # the operator revokes it
            listed = (await client.get("/api/stations/CP-1/certificates")).json()
            assert [(c["serial_number"], c["status"], c["revoked_at"]) for c in listed["issued"]] == [
                (serial, "Accepted", None)]
            assert listed["signing"]["status"] == "Installed"
            wrong = await client.post(f"/api/stations/CP-1/certificates/{serial}0/revoke", json={})
            assert wrong.status_code == 404
            done = await client.post(f"/api/stations/CP-1/certificates/{serial}/revoke",
                                     json={"reason": "keyCompromise"})
            assert done.status_code == 200 and done.json()["revocation_reason"] == "keyCompromise", done.text
        revoked = await status_of(cp, lab, data)
        assert revoked.certificate_status == x509_ocsp.OCSPCertStatus.REVOKED
        assert revoked.revocation_reason == x509.ReasonFlags.key_compromise

        unknown = await status_of(cp, lab, request_data(mine, lab.ca.certificate, serial=12345))
        assert unknown.certificate_status == x509_ocsp.OCSPCertStatus.UNKNOWN

        other = Authority(tmp_path / "..", "Mobility Operator CA")
        theirs = x509.load_pem_x509_certificate(Path(other.issue("EMAID-1")[0]).read_bytes())
        failed = await cp.call(call.GetCertificateStatus(ocsp_request_data=request_data(theirs, other.certificate)))
        assert failed.status == "Failed" and "another CA" in failed.status_info["additional_info"]

        ev = await cp.call(call.Get15118EVCertificate(iso15118_schema_version="urn:iso:15118:2:2013:MsgDef",
                                                      action="Install", exi_request="AAAA"))
        assert ev.status == "Failed" and ev.status_info["reason_code"] == "NoCertificateService"
    assert recall(engine, "CP-1", "certificate_status")["answer"] == "Failed"
    assert recall(engine, "CP-1", "ev_certificate_request")["action"] == "Install"


async def test_authorize_judges_contract_certificates_our_ca_issued(engine, tmp_path):
    """TC_C_50-52 (C07): Authorize with iso15118CertificateHashData. A contract certificate our CA issued is
    Accepted with the token book's idTokenInfo; revoked by the operator CertificateRevoked, past its validity
    CertificateExpired, a serial our CA never issued or another Mobility Operator's CA CertChainError (its OCSP
    responder is not reachable offline); the idTokenInfo of a certificate not Accepted is Invalid (C07.FR.16)."""
    from datetime import datetime, timedelta, timezone

    from chargeledger.directory import tokens
    from chargeledger.pki import issued
    from tests.ocpp.certificates import signing_request

    lab = Lab(tmp_path)
    add_network(engine, ocpp="2.0.1")
    tokens.add(engine, "ACME", tokens.TokenEntry("NL-ACM-C12345678"))
    now = datetime.now(timezone.utc)

    def contract(emaid: str, issued_at: datetime) -> x509.Certificate:  # issued and kept as our CA does
        csr = x509.load_pem_x509_csr(signing_request(emaid, "ACME Charging")[0].encode())
        certificate = lab.ca.issue(csr, 1, issued_at)
        issued.record(engine, "CP-1", "ContractCertificate", certificate, issued_at)
        return certificate

    valid, lapsed = contract("NL-ACM-C12345678", now), contract("NL-ACM-C87654321", now - timedelta(days=10))
    other = Authority(tmp_path / "..", "Mobility Operator CA")
    theirs = x509.load_pem_x509_certificate(Path(other.issue("DE-XYZ-C00000001")[0]).read_bytes())
    async with gateway_on(engine, **lab.gateway_settings()) as gateway, charger(gateway, "CP-1", "2.0.1") as cp:
        async def authorize(uid, *certificates, issuer=None, serial=None):
            answer = await cp.call(call.Authorize(
                id_token={"idToken": uid, "type": "eMAID"},
                iso15118_certificate_hash_data=[request_data(c, issuer or lab.ca.certificate, serial)
                                                for c in certificates] or None))
            return answer.certificate_status, answer.id_token_info["status"]

        assert await authorize("NL-ACM-C12345678", valid) == ("Accepted", "Accepted")  # TC_C_50
        assert await authorize("NL-ACM-C99999999", valid) == ("Accepted", "Invalid")  # not in the token book
        assert await authorize("NL-ACM-C12345678") == (None, "Accepted")  # no certificate: the book alone
        assert await authorize("NL-ACM-C87654321", lapsed) == ("CertificateExpired", "Invalid")
        assert await authorize("NL-ACM-C12345678", valid, serial=12345) == ("CertChainError", "Invalid")
        assert await authorize("DE-XYZ-C00000001", theirs, issuer=other.certificate) == ("CertChainError", "Invalid")
        issued.revoke(engine, format(valid.serial_number, "x"), "keyCompromise", datetime.now(timezone.utc))
        assert await authorize("NL-ACM-C12345678", valid) == ("CertificateRevoked", "Invalid")  # TC_C_51
    kept = recall(engine, "CP-1", "contract_certificate")
    assert kept["certificate_status"] == "CertificateRevoked" and kept["id_token"] == "NL-ACM-C12345678"
