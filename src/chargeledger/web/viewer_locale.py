"""Whose conventions amounts are shown in: the user's own locale setting, else the first language of the browser's
Accept-Language that Babel knows, else en_US. One answer per request, used by every page and the live stream."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

DEFAULT = "en_US"


def _languages(header: str) -> list[str]:
    """Accept-Language tags, most wanted first (RFC 9110 q-values; q=0 means "not this one")."""
    ranked = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def viewer_locale(setting: str | None, accept_language: str | None) -> str:
    for name in ([setting] if setting else []) + _languages(accept_language or ""):
        try:
            return str(Locale.parse(name.replace("-", "_")))
        except (UnknownLocaleError, ValueError):
            continue
    return DEFAULT


def request_locale(request, caller) -> str:
    return viewer_locale(getattr(caller, "locale", None), request.headers.get("accept-language"))
