"""versions and version details: which OCPI versions we speak, and our 2.2.1 endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from .. import partners as store
from ..registration import VERSION
from .transport import PREFIX, answer, any_token

router = APIRouter(prefix=PREFIX, tags=["OCPI"])

# (module, our interface role, path under /ocpi): only what is served here is listed.
MODULES = [("credentials", "SENDER", f"/{VERSION}/credentials"),
           ("credentials", "RECEIVER", f"/{VERSION}/credentials")]


def base_of(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


def versions_url(request: Request) -> str:
    return base_of(request) + "/versions"


def served(module: str, role: str, path: str) -> None:
    """A module router adds its endpoint to the version details when it is mounted."""
    if (module, role, path) not in MODULES:
        MODULES.append((module, role, path))


@router.get("/versions")
def versions(request: Request, partner: store.Partner = Depends(any_token)):
    return answer([{"version": VERSION, "url": f"{base_of(request)}/{VERSION}"}], partner)


@router.get(f"/{VERSION}")
def version_details(request: Request, partner: store.Partner = Depends(any_token)):
    base = base_of(request)
    endpoints = [{"identifier": module, "role": role, "url": base + path} for module, role, path in MODULES]
    return answer({"version": VERSION, "endpoints": endpoints}, partner)
