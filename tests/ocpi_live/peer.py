"""A small eMSP of our own, served over real HTTP, that registers with ChargeLedger, pulls and receives pushes.

It records every request it receives (method, path, body, headers) in arrival order. `down` makes it answer 503
(a partner in maintenance); `refuse` makes it answer OCPI 2001 to pushes of that module.

It keeps its copy of each session and tariff as a Receiver does: a PUT stores the object, a PATCH of one it does not
have is 404/2003 and a PATCH without last_updated 2001 (2.2.1 sessions module), a DELETE removes it.
"""

from __future__ import annotations

import base64
import secrets
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncio
import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

COUNTRY, PARTY = "DE", "EMS"
MODULES = ("locations", "sessions", "cdrs", "tariffs", "commands")


def token_header(token: str) -> dict[str, str]:
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}


def ok(data: Any = None, status: int = 1000) -> dict[str, Any]:
    return {"data": data, "status_code": status, "status_message": "Success", "timestamp": "2024-01-01T00:00:00Z"}


@dataclass
class Received:
    method: str
    path: str
    body: Any
    headers: dict[str, str]
    at: float = 0.0  # time.monotonic() when it arrived (the bench measures delays with it)


@dataclass
class Peer:
    base: str = ""
    token_b: str = field(default_factory=lambda: secrets.token_hex(16))  # what ChargeLedger calls us with
    token_c: str | None = None  # what we call ChargeLedger with, once registered
    their_endpoints: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    down: bool = False
    refuse: set[str] = field(default_factory=set)
    issued_a: str | None = None  # a token A we hand out when ChargeLedger registers with us
    allowed_uids: set[str] = field(default_factory=set)  # what real-time authorization allows
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # "sessions/NL/ACM/12" -> its copy
    keeps: bool = True  # False: no copies kept (the bench, where the peer's own work would be measured)
    country: str = COUNTRY  # its party, and its role in the credentials it sends (a hub: HUB)
    party: str = PARTY
    role: str = "EMSP"
    unreachable: set[str] = field(default_factory=set)  # as a hub: party ids behind it that are not connected (4003)
    versions_at: str | None = None  # the versions URL it registers with (default: its own)
    endpoints_at: str | None = None  # where its version details say its modules are (default: its own base)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- as a client of ChargeLedger ------------------------------------------------------------------------------
    def headers(self, token: str | None = None, party: tuple[str, str] | None = None) -> dict[str, str]:
        """`party`: as a hub, the party behind it a request comes from (default: its own)."""
        country, party_id = party or (self.country, self.party)
        return {**token_header(token or self.token_c or ""), "X-Request-ID": str(uuid.uuid4()),
                "X-Correlation-ID": str(uuid.uuid4()), "OCPI-from-country-code": country,
                "OCPI-from-party-id": party_id}

    def credentials(self) -> dict[str, Any]:
        return {"token": self.token_b, "url": self.versions_at or f"{self.base}/ocpi/versions",
                "roles": [{"role": self.role, "party_id": self.party, "country_code": self.country,
                           "business_details": {"name": f"Test {self.role}"}}]}

    def token(self, uid: str, whitelist: str = "ALLOWED", valid: bool = True) -> dict[str, Any]:
        return {"country_code": COUNTRY, "party_id": PARTY, "uid": uid, "type": "RFID",
                "contract_id": f"DE-EMS-C{uid}"[:36], "issuer": "Test eMSP", "valid": valid, "whitelist": whitelist,
                "last_updated": "2024-01-01T00:00:00Z"}

    def send(self, method: str, module: str, path: str, body: Any = None,
             party: tuple[str, str] | None = None) -> httpx.Response:
        with httpx.Client(timeout=30) as http:
            return http.request(method, self.their_endpoints[f"{module}:RECEIVER"] + path, json=body,
                                headers=self.headers(party=party))

    def register(self, versions_url: str, token_a: str) -> httpx.Response:
        """What an eMSP does with the token A it was given: versions, details, POST credentials."""
        with httpx.Client(timeout=30) as http:
            versions = http.get(versions_url, headers=self.headers(token_a)).json()["data"]
            url = next(v["url"] for v in versions if v["version"] == "2.2.1")
            details = http.get(url, headers=self.headers(token_a)).json()["data"]
            self.their_endpoints = {f"{e['identifier']}:{e['role']}": e["url"] for e in details["endpoints"]}
            answer = http.post(self.their_endpoints["credentials:SENDER"], headers=self.headers(token_a),
                               json=self.credentials())
        if answer.status_code == 200:
            self.token_c = answer.json()["data"]["token"]
        return answer

    def get(self, module: str, path: str = "", **params) -> httpx.Response:
        with httpx.Client(timeout=30) as http:
            return http.get(self.their_endpoints[f"{module}:SENDER"] + path, params=params, headers=self.headers())

    def get_as(self, module: str, party: tuple[str, str], path: str = "") -> httpx.Response:
        """As a hub: a GET on the Sender interface for a party behind it."""
        with httpx.Client(timeout=30) as http:
            return http.get(self.their_endpoints[f"{module}:SENDER"] + path, headers=self.headers(party=party))

    def put_as(self, module: str, path: str, body: Any, party: tuple[str, str]) -> httpx.Response:
        with httpx.Client(timeout=30) as http:
            return http.put(self.their_endpoints[f"{module}:SENDER"] + path, json=body,
                            headers=self.headers(party=party))

    def pushes(self, module: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path.startswith("/emsp/") and
                    (module is None or r.path.split("/")[2] == module)]

    # -- as a server ----------------------------------------------------------------------------------------------
    def app(self) -> FastAPI:
        app = FastAPI()

        def authorised(request: Request) -> bool:
            sent = request.headers.get("authorization", "")
            return sent in (token_header(self.token_b)["Authorization"],
                            token_header(self.issued_a or "-")["Authorization"])

        @app.middleware("http")
        async def record(request: Request, call_next):
            body = await request.body()
            if self.down:
                return JSONResponse({"detail": "maintenance"}, status_code=503)
            if not authorised(request):
                return JSONResponse(ok(None, 2000) | {"status_message": "unknown token"}, status_code=401)
            with self.lock:
                self.received.append(Received(request.method, request.url.path,
                                              (await _json(body)) if body else None, dict(request.headers),
                                              time.monotonic()))
            return await call_next(request)

        @app.get("/ocpi/versions")
        def versions():
            return ok([{"version": "2.2.1", "url": f"{self.base}/ocpi/2.2.1"}])

        @app.get("/ocpi/2.2.1")
        def details():
            at = self.endpoints_at or self.base
            endpoints = [{"identifier": m, "role": "RECEIVER", "url": f"{at}/emsp/{m}"} for m in MODULES]
            endpoints.append({"identifier": "credentials", "role": "RECEIVER",
                              "url": f"{self.base}/ocpi/2.2.1/credentials"})
            endpoints.append({"identifier": "tokens", "role": "SENDER", "url": f"{self.base}/emsp/tokens"})
            return ok({"version": "2.2.1", "endpoints": endpoints})

        @app.post("/ocpi/2.2.1/credentials")
        async def credentials(request: Request):
            theirs = await request.json()  # ChargeLedger registering with us: its token B, our token C back
            self.token_c = theirs["token"]
            self.issued_a = None
            return ok(self.credentials())

        @app.post("/emsp/tokens/{uid}/authorize")
        def authorize(uid: str):
            allowed = "ALLOWED" if uid in self.allowed_uids else "NOT_ALLOWED"
            return ok({"allowed": allowed, "authorization_reference": f"auth-{uid}", "token": self.token(uid)})

        # a CDR is POSTed to the module's own URL, with no path after it: without the first route that answered
        # 307 (a redirect to the URL with a slash), which the pusher takes for a refusal and marks failed
        @app.api_route("/emsp/{module}", methods=["POST"])
        @app.api_route("/emsp/{module}/{rest:path}", methods=["PUT", "PATCH", "POST", "DELETE"])
        async def receive(module: str, request: Request, rest: str = ""):
            if module in self.refuse:
                return JSONResponse(ok(None, 2001) | {"status_message": "we do not like this one"}, status_code=400)
            if self.unreachable and request.headers.get("ocpi-to-party-id") in self.unreachable:
                return JSONResponse(ok(None, 4003) | {"status_message": "that party is not connected"})
            if self.keeps and module in ("sessions", "tariffs"):
                return self._keep(f"{module}/{rest.strip('/')}", request.method, await _json(await request.body())
                                  if request.method in ("PUT", "PATCH") else None)
            return ok()

        return app

    def _keep(self, key: str, method: str, body: Any):
        """A Receiver's copy: PUT stores, PATCH updates one it has (charging periods added), DELETE removes."""
        with self.lock:
            known = self.objects.get(key)
            if method != "PUT" and known is None:
                return JSONResponse(ok(None, 2003) | {"status_message": f"unknown {key}"}, status_code=404)
            if method == "PATCH" and "last_updated" not in body:
                return JSONResponse(ok(None, 2001) | {"status_message": "PATCH without last_updated"},
                                    status_code=400)
            if method == "PUT":
                self.objects[key] = body
            elif method == "PATCH":
                merged = dict(known)
                for name, value in body.items():
                    merged[name] = merged.get(name, []) + value if name == "charging_periods" else value
                self.objects[key] = merged
            else:
                del self.objects[key]
        return ok()


async def _json(body: bytes) -> Any:
    import json
    try:
        return json.loads(body)
    except ValueError:
        return body.decode(errors="replace")


@contextmanager
def running_peer(peer: Peer | None = None, port: int = 0):
    peer = peer or Peer()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    peer.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(peer.app(), log_level="warning", lifespan="off"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(sockets=[sock]),), daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.02)
    try:
        yield peer
    finally:
        server.should_exit = True
        thread.join(10)
        loop.close()
