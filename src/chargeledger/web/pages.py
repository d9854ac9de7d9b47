"""Page routes: login, session list, session page, charge point page, receipt PDF, chart data. `register(app)`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..access import audit
from ..access.rights import Caller
from ..http.csrf import csrf_token
from ..http.deps import LOGIN_COOKIE, current_caller
from ..http.routes.auth import checked_login, set_login_cookie
from ..http.routes.network import station_get
from .station_page import station_details
from ..http.routes.sessions import session_get, visible_session
from ..ledger.store import Ledger
from ..settings import current
from . import formatting
from .context_strip import session_context
from .list_page import list_context
from .login import LoginRequired, page_caller, to_login
from .session_page import session_page
from .viewer_locale import request_locale
from .formatting import parse_time
from .telemetry import chart_data

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
formatting.install(templates.env)


def _node_modules() -> Path:
    # Installed by `npm ci` at the repository root (make install); overridable for packaged installs.
    return current().node_modules


def _page(request: Request, name: str, caller: Caller | None, status: int = 200, **values) -> HTMLResponse:
    # The page's scripts send this token with every change they ask for (http/csrf.py).
    cookie = request.cookies.get(LOGIN_COOKIE)
    csrf = csrf_token(cookie) if cookie and caller else None
    return templates.TemplateResponse(request, name, {"caller": caller, "csrf": csrf,
                                                      "locale": request_locale(request, caller), **values},
                                      status_code=status)


def register(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    uplot = _node_modules() / "uplot" / "dist"
    if uplot.is_dir():
        app.mount("/vendor/uplot", StaticFiles(directory=uplot), name="vendor-uplot")
    app.state.charts_available = uplot.is_dir()

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:  # for clients that ask before reading the page's <link rel="icon">
        return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")
    app.add_exception_handler(LoginRequired, to_login)
    previous = app.exception_handlers.get(StarletteHTTPException)

    async def not_found_page(request: Request, exc: StarletteHTTPException):
        # People browsing get a page (a page they may not open, too: not a line of JSON); API clients keep JSON.
        if exc.status_code in (403, 404) and not request.url.path.startswith("/api/") and \
                "text/html" in request.headers.get("accept", ""):
            return _page(request, "not_found.html", None, exc.status_code, message=exc.detail,
                         forbidden=exc.status_code == 403)
        if previous:
            return await previous(request, exc)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    app.add_exception_handler(StarletteHTTPException, not_found_page)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/sessions", status_code=303)

    @app.get("/login", include_in_schema=False, response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/sessions"):
        return _page(request, "login.html", None, next=next if next.startswith("/") else "/sessions")

    @app.post("/login", include_in_schema=False)
    async def login_submit(request: Request, email: str = Form("", max_length=320),
                           password: str = Form("", max_length=1024), next: str = Form("/sessions")):
        # A plain form post: works before any script loads and never puts the password in a URL.
        target = next if next.startswith("/") and not next.startswith("//") else "/sessions"
        try:
            token = await checked_login(request, email, password) if email and password else None
        except HTTPException as exc:
            if exc.status_code not in (429, 503):  # throttled, or too many password checks waiting: say so
                raise
            page = _page(request, "login.html", None, exc.status_code, next=target, error=exc.detail, email=email)
            page.headers.update(exc.headers or {})
            return page
        if token is None:
            return _page(request, "login.html", None, 401, next=target, error="wrong email or password", email=email)
        response = RedirectResponse(target, status_code=303)
        set_login_cookie(request, response, token)
        return response

    @app.get("/sessions", include_in_schema=False, response_class=HTMLResponse)
    def list_page(request: Request, caller: Caller = Depends(page_caller)):
        values, error = list_context(app.state.engine, caller, request.query_params)
        return _page(request, "list.html", caller, 400 if error else 200, error=error, **values)

    @app.get("/sessions/{session_id}", include_in_schema=False, response_class=HTMLResponse)
    def session_html(request: Request, session_id: str, caller: Caller = Depends(page_caller)):
        if not session_id.isdigit():
            raise HTTPException(404, f"no session {session_id}")
        page = session_page(app, app.state.engine, caller, int(session_id))
        return _page(request, "session.html", caller, charts=app.state.charts_available, **page)

    @app.get("/stations", include_in_schema=False, response_class=HTMLResponse)
    def stations_html(request: Request, caller: Caller = Depends(page_caller)):
        from ..http.routes.network import station_list
        return _page(request, "stations.html", caller, stations=station_list(caller, app.state.engine))

    @app.get("/drivers/{driver_id}", include_in_schema=False, response_class=HTMLResponse)
    def driver_html(request: Request, driver_id: str, caller: Caller = Depends(page_caller)):
        from .people_pages import driver_page
        return _page(request, "driver.html", caller, **driver_page(app.state.engine, caller, driver_id))

    @app.get("/teams/{team_id}", include_in_schema=False, response_class=HTMLResponse)
    def team_html(request: Request, team_id: str, caller: Caller = Depends(page_caller)):
        from .people_pages import team_page
        return _page(request, "team.html", caller, **team_page(app.state.engine, caller, team_id))

    @app.get("/tokens", include_in_schema=False, response_class=HTMLResponse)
    def tokens_html(request: Request, caller: Caller = Depends(page_caller)):
        from .tokens_page import tokens_page
        return _page(request, "tokens.html", caller, **tokens_page(app.state.engine, caller, request.query_params))

    @app.get("/map", include_in_schema=False, response_class=HTMLResponse)
    def map_html(request: Request, caller: Caller = Depends(page_caller)):
        from ..http.routes.network import site_list
        from .site_map import project
        return _page(request, "map.html", caller, map=project(site_list(caller, app.state.engine)))

    @app.get("/reports", include_in_schema=False, response_class=HTMLResponse)
    def reports_html(request: Request, caller: Caller = Depends(page_caller)):
        from ..reports.catalogue import REPORTS
        from ..reports.exports import EXPORTS, export_rights
        from ..reports.request import missing_rights
        today = datetime.now(timezone.utc).date().replace(day=1)
        last_month = (today - timedelta(days=1)).replace(day=1)
        # Only what the user may run is offered; the API refuses the rest by the same rights (missing_rights)
        reports = [REPORTS[n] for n in sorted(REPORTS) if not missing_rights(REPORTS[n].rights, caller)]
        exports = [n for n in sorted(EXPORTS) if not missing_rights(export_rights(n), caller)]
        return _page(request, "reports.html", caller, reports=reports, exports=exports,
                     start=last_month.isoformat(), end=today.isoformat())

    @app.get("/stations/{station_id}", include_in_schema=False, response_class=HTMLResponse)
    def station_html(request: Request, station_id: str, caller: Caller = Depends(page_caller)):
        station = station_get(station_id, caller, app.state.engine)
        actions = audit.entries(app.state.engine, caller.organisation_ids, target_kind="station",
                                target_id=station_id, limit=20)
        from .station_actions import station_actions
        return _page(request, "station.html", caller, station=station, operator_actions=actions,
                     **station_details(app.state.engine, station),
                     **station_actions(app.state.engine, caller, station))

    @app.get("/sessions/{session_id}/receipt.pdf", include_in_schema=False)
    def receipt(request: Request, session_id: int, caller: Caller = Depends(page_caller)):
        from ..receipts.pdf import receipt_pdf  # WeasyPrint loads slowly; only when a receipt is asked for

        page = session_page(app, app.state.engine, caller, session_id)
        if not page["has_receipt"]:
            raise HTTPException(404, f"session {session_id} has no receipt yet: it is not priced and settled")
        pdf = receipt_pdf({**page, "locale": request_locale(request, caller)})
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="receipt-{session_id}.pdf"'})

    @app.get("/api/sessions/{session_id}/chart", tags=["sessions"])
    def session_chart(session_id: int, caller: Caller = Depends(current_caller)) -> dict:
        """Telemetry down-sampled for display, hourly kWh from the register, or the two-point fallback."""
        engine = app.state.engine
        visible_session(engine, caller, session_id)
        detail = session_get(session_id, caller, engine)
        zone = session_context(engine, caller, detail)["time_zone"]
        from .schedule_limit import limit_steps
        from .session_schedule import session_schedule
        limit = limit_steps(session_schedule(engine, detail).get("schedule"), parse_time(detail.get("started_at")))
        return chart_data(detail, Ledger(engine).samples(session_id), zone, limit)
