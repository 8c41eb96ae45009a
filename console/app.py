"""The console's web application: building it from settings and a session factory.

Sessions are signed, HttpOnly, SameSite cookies; every state-changing request carries
a CSRF token bound to the session. Pages are rendered on the server with Jinja2's
autoescaping, so comment text, however hostile, is shown as text.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.sessions import SessionMiddleware

from ecoute.console.accounts import LoginThrottle
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


def secret_key(settings: Settings) -> str:
    """The session-signing key: from the named environment variable, or a key generated
    once and kept in the data directory (readable by its owner only)."""
    from_env = os.environ.get(settings.console.secret_key_env)
    if from_env:
        return from_env
    path = settings.data_path / "console_secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key


def create_app(settings: Settings, factory: sessionmaker[Session]) -> FastAPI:
    """Build the console for one configuration and database."""
    from ecoute.console import views

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
    app.state.console = ConsoleState(settings, factory, templates, LoginThrottle())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(views.router)

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, _exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.middleware("http")
    async def _security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    zone = ZoneInfo(settings.brand.timezone)
    templates.env.filters["localtime"] = lambda value: (
        value.astimezone(zone).strftime("%d/%m %H:%M") if value else ""
    )
    return app
