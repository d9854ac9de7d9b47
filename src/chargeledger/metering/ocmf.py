"""OCMF records of a session: where chargers put them (1.6 sampledValue format SignedData; 2.0.1
signedMeterValue), their verdict (pyocmf verifies the signature against the meter's public key) and the XML file
for the transparency software. Pure: frames in, verdicts and text out."""

from __future__ import annotations

import base64
import binascii
import json
import warnings
from typing import Any, Iterator
from xml.sax.saxutils import escape, quoteattr

_CONTEXTS = {"B": "Transaction.Begin", "E": "Transaction.End", "T": "Sample.Periodic", "L": "Sample.Periodic",
             "C": "Sample.Clock", "X": "Sample.Periodic", "P": "Sample.Periodic", "S": "Sample.Periodic"}


def _payload(frame: dict) -> Any:
    payload = frame.get("payload")
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError:
            return None
    return payload


def _walk(node: Any) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _key_hex(raw: str | None) -> str | None:
    """A public key as hex DER, from hex or base64 (2.0.1 sends base64), or None."""
    if not raw:
        return None
    text = raw.strip()
    try:
        bytes.fromhex(text)
        return text.lower()
    except ValueError:
        pass
    try:
        return base64.b64decode(text, validate=True).hex()
    except (binascii.Error, ValueError):
        return None


def signed_records(frames: list[dict], meter_public_key: str | None = None) -> list[dict]:
    """Each distinct OCMF record the charger sent for the session, with the public key it came with."""
    found: dict[str, dict] = {}
    for frame in frames:
        if frame.get("direction") != "in":
            continue
        for node in _walk(_payload(frame)):
            if node.get("format") == "SignedData" and isinstance(node.get("value"), str):
                found.setdefault(node["value"], {"data": node["value"], "public_key": _key_hex(meter_public_key),
                                                 "time": frame.get("time")})
            signed = node.get("signedMeterValue")
            if isinstance(signed, dict) and signed.get("signedMeterData"):
                data = signed["signedMeterData"]
                if signed.get("encodingMethod", "OCMF").upper() != "OCMF":
                    continue  # another format (e.g. EDL): not OCMF, not verified here
                found.setdefault(data, {"data": data, "time": frame.get("time"),
                                        "public_key": _key_hex(signed.get("publicKey")) or _key_hex(meter_public_key)})
    return list(found.values())


def verdict(record: dict) -> dict:
    """The record checked: valid, invalid (signature does not match), no key, or unreadable; with its readings."""
    import pyocmf

    out = {"public_key": record.get("public_key"), "time": record.get("time"), "readings": [], "issues": []}
    try:
        with warnings.catch_warnings(record=True) as noted:
            warnings.simplefilter("always")
            parsed = pyocmf.OCMF.from_string(_plain(record["data"]))
        out["warnings"] = sorted({str(w.message) for w in noted})
    except Exception as exc:  # noqa: BLE001 - any parse failure is the verdict "unreadable", with its reason
        return {**out, "verdict": "unreadable", "reason": str(exc)}
    payload = parsed.payload
    out["meter"] = {"serial": payload.MS, "manufacturer": getattr(payload, "MV", None),
                    "model": getattr(payload, "MM", None), "identification": getattr(payload, "ID", None)}
    out["readings"] = [{"time": r.TM.timestamp.isoformat() if r.TM else None, "reason": str(r.TX.value) if r.TX
                        else None, "value": str(r.RV), "unit": str(r.RU.value) if r.RU else None}
                       for r in payload.RD or []]
    key = record.get("public_key") or parsed.embedded_public_key
    if not key:
        return {**out, "verdict": "no public key", "reason": "the charger sent no public key for its meter"}
    out["public_key"] = _key_hex(key) or key
    try:
        valid, issues = parsed.verify(out["public_key"])
    except Exception as exc:  # noqa: BLE001 - a key of the wrong kind is a failed check, said so
        return {**out, "verdict": "invalid", "reason": str(exc)}
    out["issues"] = [str(getattr(i, "message", i)) for i in issues]
    return {**out, "verdict": "valid" if valid else "invalid",
            "reason": None if valid else "the signature does not match the signed data"}


def _plain(data: str) -> str:
    text = data.strip()
    if text.startswith("OCMF|"):
        return text
    try:
        return bytes.fromhex(text).decode()
    except ValueError:
        return text


def transparency_xml(records: list[dict], transaction_id: str | None) -> str:
    """The records as the transparency software's import file (<values><value>…), one per record."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<values>"]
    for record in records:
        data = _plain(record["data"])
        reason = ""
        try:
            reason = json.loads(data.split("|")[1])["RD"][0].get("TX", "")
        except (ValueError, IndexError, KeyError, TypeError):
            pass
        lines.append(f'  <value transactionId={quoteattr(str(transaction_id or ""))} '
                     f'context={quoteattr(_CONTEXTS.get(reason, "Sample.Periodic"))}>')
        lines.append(f'    <signedData format="OCMF" encoding="plain">{escape(data)}</signedData>')
        if record.get("public_key"):
            lines.append(f'    <publicKey encoding="plain">{escape(record["public_key"])}</publicKey>')
        lines.append("  </value>")
    lines.append("</values>")
    return "\n".join(lines) + "\n"
