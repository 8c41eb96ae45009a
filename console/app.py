"""The console's web application: building it from settings and a session factory.

Sessions are signed, HttpOnly, SameSite cookies; every state-changing request carries
a CSRF token bound to the session. Pages are rendered on the server with Jinja2's
autoescaping, so comment text, however hostile, is shown as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from ecoute.console.accounts import LoginThrottle
from ecoute.core.keys import instance_secret_key
from ecoute.core.settings import Settings
from ecoute.responders.drafting import templates_dir

STATIC_DIR = Path(__file__).resolve().parent / "static"


class LoginRequired(Exception):
    """Raised by views when no user is signed in; answered with a redirect to /login."""


@dataclass(frozen=True, slots=True)
class ConsoleState:
    settings: Settings
    factory: sessionmaker[Session]
    templates: Jinja2Templates
    throttle: LoginThrottle
    #: The running service's scheduler, when the console runs inside it (for /health).
    scheduler: Any = None


def secret_key(settings: Settings) -> str:
    """The session-signing key: the instance's secret key (see `core.keys`)."""
    return instance_secret_key(settings)


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _time_filters(templates: Jinja2Templates, zone: ZoneInfo) -> None:
    """Times are stored in UTC and shown in the brand's time zone."""

    def localtime(value: datetime | None, fmt: str = "%d/%m %H:%M") -> str:
        return value.astimezone(zone).strftime(fmt) if value else ""

    def minutes(value: float | None) -> str:
        if value is None:
            return "–"
        if value < 90:
            return f"{value:.0f} min"
        if value < 48 * 60:
            return f"{value / 60:.1f} h"
        return f"{value / 1440:.1f} j"

    templates.env.filters["localtime"] = localtime
    templates.env.filters["minutes"] = minutes
    templates.env.globals["timezone"] = str(zone)


def create_app(
    settings: Settings, factory: sessionmaker[Session], *, scheduler: Any = None
) -> FastAPI:
    """Build the console for one configuration and database; pass the service's
    scheduler to show its jobs on the health page."""
    from ecoute.console import views
    from ecoute.console.i18n import translator

    app = FastAPI(title="Écoute", docs_url=None, redoc_url=None, openapi_url=None)
    https = (settings.console.public_url or "").startswith("https://")
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie="ecoute_session",
        same_site="lax",
        https_only=https,
        max_age=12 * 3600,
    )
    templates = Jinja2Templates(directory=str(templates_dir() / "console"))
    templates.env.globals["brand"] = settings.brand.name
    _time_filters(templates, ZoneInfo(settings.brand.timezone))
    app.state.console = ConsoleState(settings, factory, templates, LoginThrottle(), scheduler)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(views.router)

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, _exc: LoginRequired) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(HTTPException)
    async def _explain(request: Request, exc: HTTPException) -> Response:
        """A refusal a person can read (with the way back), or JSON for a script."""
        accepts_html = "text/html" in request.headers.get("accept", "")
        if not accepts_html or request.headers.get("hx-request"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        language = request.session.get("language", "fr") if "session" in request.scope else "fr"
        page = templates.get_template("error.html").render(
            t=translator(language),
            lang=language,
            brand=settings.brand.name,
            status=exc.status_code,
            detail=exc.detail,
            user=None,
        )
        return HTMLResponse(page, status_code=exc.status_code)

    @app.middleware("http")
    async def _security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if https:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    return app
