"""The OCPI HTTP interface: one router per module, mounted on the API's port by `register`."""

from __future__ import annotations

from fastapi import FastAPI

from .. import status
from . import transport


def register(app: FastAPI) -> None:
    from . import credentials, operator, versions
    status.install(app)
    app.add_middleware(transport.EchoIds)
    for module in (versions, credentials, operator):
        app.include_router(module.router)
    operator.register_page(app)
    for name in ("locations", "tariffs", "sessions", "tokens", "commands", "hubclientinfo"):
        try:
            module = __import__(f"{__name__}.{name}", fromlist=["router"])
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            continue
        app.include_router(module.router)
