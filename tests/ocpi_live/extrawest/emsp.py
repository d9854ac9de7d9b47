"""An eMSP made with extrawest-ocpi (PyPI), run by the test in a venv of its own: the library pins pydantic 1 and
fastapi 0.101, which our app cannot share a venv with. Run as `python emsp.py PORT TOKEN_B RECEIVED_FILE`.

The library serves the eMSP side: versions and version details, the Receiver interfaces of locations, sessions,
cdrs, tariffs and commands (CommandResult) and the tokens Sender, each body validated by its own 2.2.1 models on
the way in (a field it refuses is 400/422 to our pusher). What the library leaves to its user is written here:
the store behind it (its Crud), which tokens it takes, and the eMSP's client half, which it does not have
(register with a CPO, pull its lists page by page); that half reads every answer with the library's models too.
Everything it stores is appended to RECEIVED_FILE as JSON lines, for the test to read."""

from __future__ import annotations

import base64
import json
import sys

import httpx
import uvicorn
from fastapi import Body

from py_ocpi.main import get_application
from py_ocpi.core.authentication.authenticator import Authenticator
from py_ocpi.core.crud import Crud
from py_ocpi.core.enums import ModuleID, RoleEnum
from py_ocpi.modules.versions.enums import VersionNumber
from py_ocpi.modules.versions.schemas import Version
from py_ocpi.modules.versions.v_2_2_1.schemas import VersionDetail
from py_ocpi.modules.credentials.v_2_2_1.schemas import Credentials
from py_ocpi.modules.locations.v_2_2_1.schemas import Location
from py_ocpi.modules.tariffs.v_2_2_1.schemas import Tariff
from py_ocpi.modules.sessions.v_2_2_1.schemas import Session
from py_ocpi.modules.cdrs.v_2_2_1.schemas import Cdr
from py_ocpi.modules.commands.v_2_2_1.schemas import CommandResponse, StartSession
from py_ocpi.modules.tokens.v_2_2_1.schemas import Token

PORT, TOKEN_B, RECEIVED = int(sys.argv[1]), sys.argv[2], sys.argv[3]
BASE = f"http://127.0.0.1:{PORT}"
COUNTRY, PARTY = "DE", "XWE"
PULLED = {"locations": Location, "tariffs": Tariff, "sessions": Session, "cdrs": Cdr}
store: dict[tuple[str, str], dict] = {}
theirs: dict[str, str] = {}  # "locations:SENDER" -> URL, and "token": the token C the CPO gave us


def record(module: str, action: str, key: str, data) -> None:
    with open(RECEIVED, "a") as out:
        out.write(json.dumps({"module": module, "action": action, "id": key, "data": data}, default=str) + "\n")


class Tokens(Authenticator):
    @classmethod
    async def get_valid_token_c(cls):
        return [TOKEN_B]  # what the CPO calls us with

    @classmethod
    async def get_valid_token_a(cls):
        return []


class Memory(Crud):
    @classmethod
    async def get(cls, module, role, id, *args, **kwargs):
        return store.get((module.value, str(id)))

    @classmethod
    async def list(cls, module, role, filters, *args, **kwargs):
        found = [v for (m, _k), v in store.items() if m == module.value]
        return found, len(found), True

    @classmethod
    async def create(cls, module, role, data, *args, **kwargs):
        key = str(data.get("id") or data.get("uid") or kwargs.get("id") or len(store))
        store[(module.value, key)] = data
        record(module.value, "create", key, data)
        return data

    @classmethod
    async def update(cls, module, role, data, id, *args, **kwargs):
        store[(module.value, str(id))] = data
        record(module.value, "update", str(id), data)
        return data

    @classmethod
    async def delete(cls, module, role, id, *args, **kwargs):
        store.pop((module.value, str(id)), None)
        record(module.value, "delete", str(id), None)

    @classmethod
    async def do(cls, module, role, action, *args, data=None, **kwargs):
        return None


app = get_application(
    version_numbers=[VersionNumber.v_2_2_1], roles=[RoleEnum.emsp], crud=Memory, authenticator=Tokens,
    modules=[ModuleID.credentials_and_registration, ModuleID.locations, ModuleID.sessions, ModuleID.cdrs,
             ModuleID.tariffs, ModuleID.commands, ModuleID.tokens])


def _headers(token: str) -> dict:
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode(),
            "OCPI-from-country-code": COUNTRY, "OCPI-from-party-id": PARTY}


@app.post("/control/register")
def register(versions_url: str = Body(...), token_a: str = Body(...)):
    """The eMSP's registration with a CPO's token A: versions, 2.2.1 details, POST of our credentials."""
    with httpx.Client(timeout=30) as http:
        versions = [Version(**v) for v in http.get(versions_url, headers=_headers(token_a)).json()["data"]]
        url = next(v.url for v in versions if v.version == VersionNumber.v_2_2_1)
        details = VersionDetail(**http.get(url, headers=_headers(token_a)).json()["data"])
        theirs.update({f"{e.identifier.value}:{e.role.value}": e.url for e in details.endpoints})
        ours = Credentials(token=TOKEN_B, url=f"{BASE}/ocpi/versions", roles=[{
            "role": "EMSP", "party_id": PARTY, "country_code": COUNTRY, "business_details": {"name": "extrawest"}}])
        answer = http.post(theirs["credentials:SENDER"], headers=_headers(token_a), json=json.loads(ours.json()))
    if answer.status_code == 200:
        theirs["token"] = Credentials(**answer.json()["data"]).token
    return {"status": answer.status_code, "body": answer.json()}


@app.get("/control/pull/{module}")
def pull(module: str, limit: int = 1):
    """A whole list, page by page along the Link headers, each object read with the library's model; the
    locations are kept, as an eMSP keeps its copy (the EVSE PATCHes that follow apply to it)."""
    objects, pages, url = [], 0, theirs[f"{module}:SENDER"] + f"?limit={limit}"
    with httpx.Client(timeout=30) as http:
        while url:
            answer = http.get(url, headers=_headers(theirs["token"]))
            assert answer.status_code == 200, answer.text
            assert int(answer.headers["X-Limit"]) == limit, answer.headers
            for item in answer.json()["data"]:
                parsed = PULLED[module](**item)
                objects.append(json.loads(parsed.json()))
            pages += 1
            url = answer.links.get("next", {}).get("url")
            total = int(answer.headers["X-Total-Count"])
    if module == "locations":
        for item in objects:
            store[("locations", item["id"])] = item
    return {"pages": pages, "total": total, "objects": objects}


def token(uid: str) -> Token:
    return Token(country_code=COUNTRY, party_id=PARTY, uid=uid, type="RFID", contract_id=f"DE-XWE-C{uid}",
                 issuer="extrawest eMSP", valid=True, whitelist="ALLOWED", last_updated="2024-01-01T00:00:00Z")


@app.put("/control/token/{uid}")
def push_token(uid: str):
    """A driver's token, as the library's Token model writes it, PUT on the CPO's tokens Receiver."""
    with httpx.Client(timeout=30) as http:
        answer = http.put(theirs["tokens:RECEIVER"] + f"/{COUNTRY}/{PARTY}/{uid}", headers=_headers(theirs["token"]),
                          json=json.loads(token(uid).json()))
    return {"status": answer.status_code, "body": answer.json()}


@app.post("/control/start/{uid}")
def start_session(uid: str, location_id: str = Body(...), evse_uid: str = Body(...), result_id: str = Body(...)):
    """START_SESSION as the library's StartSession model writes it; the CommandResult comes back to the library's
    commands endpoint (response_url), the CommandResponse is read with its model."""
    command = StartSession(response_url=f"{BASE}/ocpi/emsp/2.2.1/commands/{result_id}", token=token(uid),
                           location_id=location_id, evse_uid=evse_uid)
    with httpx.Client(timeout=30) as http:
        answer = http.post(theirs["commands:RECEIVER"] + "/START_SESSION", headers=_headers(theirs["token"]),
                           json=json.loads(command.json()))
    if answer.status_code != 200:
        return {"status": answer.status_code, "body": answer.json()}
    return {"status": answer.status_code, "response": json.loads(CommandResponse(**answer.json()["data"]).json())}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning")
