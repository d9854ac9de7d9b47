"""The FastAPI application. Each route module is one area of the API; adapters register theirs here."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from .. import __version__
from ..adapters import installed
from ..storage.database import make_engine
from . import bad_input
from .body_limit import BodyLimit
from .csrf import CsrfGuard
from . import headers
from .login_guard import LoginGuard
from .login_shortcut import LoginShortcut
from .request_timeout import RequestTimeout
from .routes import audit, auth, health, network, sessions
from .settings import HttpSettings


def create_app(engine: Engine | None = None, gateway=None, settings: HttpSettings | None = None,
               ftp_uploads=None) -> FastAPI:
    app = FastAPI(title="ChargeLedger", version=__version__,
                  description="Back office for EV charge point operators: sessions, pricing, CDRs, reports.")
    app.state.engine = engine or make_engine()
    app.state.gateway = gateway  # the OCPP gateway, when this process runs one (remote commands go through it)
    app.state.ftp_uploads = ftp_uploads  # ocpp.ftp_uploads.FtpUploads, when this process offers FTP uploads
    app.state.http_settings = settings = settings or HttpSettings.from_env()
    app.state.login_guard = LoginGuard(settings)
    # Last added runs first: headers go on every answer, including the 413/403/503 of the guards inside them.
    app.add_middleware(RequestTimeout, seconds=settings.request_timeout)
    bad_input.install(app)
    app.add_middleware(CsrfGuard)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                       larger={"/uploads/": settings.max_upload_bytes})
    app.add_middleware(LoginShortcut, guard=app.state.login_guard)  # a flood of guesses: refused before the rest
    headers.install(app)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_request: Request, exc: RequestValidationError):
        # 422 with every field and reason, in a shape people can read.
        details = [{"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": "invalid request", "errors": details})

    for module in (health, auth, sessions, network, audit):
        app.include_router(module.router)
    _include_optional(app)
    return app


def _include_optional(app: FastAPI) -> None:
    """Routers of other adapters (OCPP commands, money, reports, web pages), when those packages are present."""
    for module in installed(("chargeledger.http.routes.ocpp", "chargeledger.http.routes.provisioning",
                             "chargeledger.http.routes.local_list", "chargeledger.http.routes.money",
                             "chargeledger.http.routes.reports", "chargeledger.http.routes.live",
                             "chargeledger.http.routes.signed_meter",
                             "chargeledger.http.routes.tokens", "chargeledger.http.routes.station_setup",
                             "chargeledger.http.routes.reservations", "chargeledger.http.routes.smart_charging",
                             "chargeledger.http.routes.maintenance", "chargeledger.http.routes.certificates",
                             "chargeledger.web.pages", "chargeledger.ocpi.routes")):
        module.register(app)
