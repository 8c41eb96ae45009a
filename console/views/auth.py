"""Signing in and out, and choosing the console's language."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ecoute.console.accounts import authenticate
from ecoute.console.i18n import LANGUAGES, translator
from ecoute.console.views.common import (
    CsrfChecked,
    CurrentUser,
    DbSession,
    back_to,
    console_state,
    render,
    safe_local,
)
from ecoute.core.audit import record

router = APIRouter()


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse("/queue", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", None, next=safe_local(next), error=None)


@router.post("/login", response_model=None, dependencies=[CsrfChecked])
def login(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/queue",
) -> Response:
    """Sign in; failures count per username and per address, and both are throttled."""
    state = console_state(request)
    keys = (
        f"user:{username.strip().lower()}",
        f"ip:{request.client.host if request.client else ''}",
    )
    t = translator(request.session.get("language", "fr"))
    if state.throttle.blocked(*keys):
        return render(
            request,
            "login.html",
            None,
            next=safe_local(next),
            error=t["throttled"],
            status_code=429,
        )
    user = authenticate(session, username, password)
    if user is None:
        state.throttle.failed(*keys)
        record(
            session,
            actor=None,
            action="login.fail",
            entity_type="user",
            entity_id=username.strip().lower()[:60] or "?",
        )
        return render(
            request,
            "login.html",
            None,
            next=safe_local(next),
            error=t["bad_login"],
            status_code=401,
        )
    state.throttle.succeeded(*keys)
    # A new session on sign-in: a session fixed before login is worth nothing after it.
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["csrf"] = secrets.token_urlsafe(32)
    request.session["language"] = user.language
    record(session, actor=user, action="login", entity_type="user", entity_id=user.id)
    return RedirectResponse(safe_local(next), status_code=303)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.post("/language", dependencies=[CsrfChecked])
def choose_language(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    language: Annotated[str, Form()] = "fr",
    back: Annotated[str, Form()] = "/queue",
) -> RedirectResponse:
    """Each person reads the console in their own language, kept with their account."""
    if language in LANGUAGES and language != user.language:
        record(
            session,
            actor=user,
            action="user.language",
            entity_type="user",
            entity_id=user.id,
            before={"language": user.language},
            after={"language": language},
        )
        user.language = language
    if language in LANGUAGES:
        request.session["language"] = language
    return back_to(back)
