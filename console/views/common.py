"""What every console page shares: the request's database session, the signed-in user,
role checks, CSRF checks and rendering in the user's language.

A view states what it needs (`CurrentUser`, `Approver`, `CsrfChecked`) in its signature,
so that reading one view is enough to know who may call it and whether it changes state.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from ecoute.console.app import ConsoleState, LoginRequired
from ecoute.console.i18n import translator
from ecoute.core.db import session_scope
from ecoute.core.domain import Role
from ecoute.core.models import User

CSRF_HEADER = "x-csrf-token"
ROLE_RANK = {Role.AGENT: 0, Role.APPROVER: 1, Role.ADMIN: 2}


def console_state(request: Request) -> ConsoleState:
    return request.app.state.console


def db_session(request: Request) -> Iterator[Session]:
    """One database session per request, committed when the view returns normally."""
    with session_scope(console_state(request).factory) as session:
        yield session


DbSession = Annotated[Session, Depends(db_session)]


def current_user(request: Request, session: DbSession) -> User:
    user_id = request.session.get("user_id")
    user = session.get(User, user_id) if user_id else None
    if user is None or not user.active:
        request.session.clear()
        raise LoginRequired()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def has_role(user: User, role: Role) -> bool:
    """Roles are nested: an admin can do what an approver can, who can do what an agent can."""
    return ROLE_RANK.get(Role(user.role), -1) >= ROLE_RANK[role]


def _require(role: Role):  # type: ignore[no-untyped-def]
    def check(user: CurrentUser) -> User:
        if not has_role(user, role):
            raise HTTPException(
                status_code=403,
                detail=f"{user.username} is an {user.role}; this needs the {role} role",
            )
        return user

    return check


Approver = Annotated[User, Depends(_require(Role.APPROVER))]
Admin = Annotated[User, Depends(_require(Role.ADMIN))]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def require_csrf(request: Request, csrf: Annotated[str, Form(alias="csrf_token")] = "") -> None:
    """Refuse a state change that carries neither this session's token in its form nor
    in the header htmx sends."""
    expected = request.session.get("csrf")
    given = csrf or request.headers.get(CSRF_HEADER, "")
    if not expected or not secrets.compare_digest(expected, given):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong; reload the page")


CsrfChecked = Depends(require_csrf)


def language_of(request: Request, user: User | None) -> str:
    return user.language if user else request.session.get("language", "fr")


def render(
    request: Request, name: str, user: User | None, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    state = console_state(request)
    language = language_of(request, user)
    return state.templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "t": translator(language),
            "lang": language,
            "csrf_token": csrf_token(request),
            "can_approve": bool(user and has_role(user, Role.APPROVER)),
            "is_admin": bool(user and has_role(user, Role.ADMIN)),
            "path": request.url.path,
            "flash": request.session.pop("flash", None),
            **context,
        },
        status_code=status_code,
    )


def flash(request: Request, message: str) -> None:
    """A one-line confirmation shown on the next page, after the redirect."""
    request.session["flash"] = message


def safe_local(target: str | None, default: str = "/queue") -> str:
    """A same-site path to go back to; anything else (another host, a scheme) is ignored."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return default
    return target


def back_to(target: str | None, default: str = "/queue") -> RedirectResponse:
    return RedirectResponse(safe_local(target, default), status_code=303)
