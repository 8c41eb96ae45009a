"""The console's pages: sign-in, the review queue with approve and reject, and /healthz."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ecoute.console.accounts import authenticate
from ecoute.console.app import ConsoleState, LoginRequired
from ecoute.console.i18n import translator
from ecoute.core.domain import DraftStatus
from ecoute.core.models import Comment, Draft, Source, User, utcnow
from ecoute.responders.review import NotAllowed, ReviewError, approve, reject

router = APIRouter()
QUEUE_PAGE_SIZE = 50


def _state(request: Request) -> ConsoleState:
    return request.app.state.console


def db_session(request: Request) -> Iterator[Session]:
    """One database session per request, committed when the view returns normally."""
    session = _state(request).factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(db_session)]


def current_user(request: Request, session: DbSession) -> User:
    user_id = request.session.get("user_id")
    user = session.get(User, user_id) if user_id else None
    if user is None or not user.active:
        request.session.clear()
        raise LoginRequired()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def require_csrf(request: Request, csrf: Annotated[str, Form(alias="csrf_token")] = "") -> None:
    """Refuse a state change whose form does not carry this session's token."""
    expected = request.session.get("csrf")
    if not expected or not secrets.compare_digest(expected, csrf):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong; reload the page")


CsrfChecked = Depends(require_csrf)


def _render(request: Request, name: str, user: User | None, **context: Any) -> HTMLResponse:
    state = _state(request)
    language = user.language if user else request.session.get("language", "fr")
    return state.templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "t": translator(language),
            "lang": language,
            "csrf_token": csrf_token(request),
            **context,
        },
    )


def _safe_next(target: str | None) -> str:
    if not target:
        return "/queue"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return "/queue"
    return target


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse("/queue", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return _render(request, "login.html", None, next=_safe_next(next), error=None)


@router.post("/login", response_model=None, dependencies=[CsrfChecked])
def login(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/queue",
) -> Response:
    state = _state(request)
    keys = (
        f"user:{username.strip().lower()}",
        f"ip:{request.client.host if request.client else ''}",
    )
    t = translator(request.session.get("language", "fr"))
    if state.throttle.blocked(*keys):
        response = _render(request, "login.html", None, next=_safe_next(next), error=t["throttled"])
        response.status_code = 429
        return response
    user = authenticate(session, username, password)
    if user is None:
        state.throttle.failed(*keys)
        response = _render(request, "login.html", None, next=_safe_next(next), error=t["bad_login"])
        response.status_code = 401
        return response
    state.throttle.succeeded(*keys)
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["csrf"] = secrets.token_urlsafe(32)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, session: DbSession, user: CurrentUser) -> HTMLResponse:
    drafts = session.scalars(
        select(Draft)
        .where(Draft.status == DraftStatus.PENDING)
        .order_by(Draft.due_at, Draft.id)
        .limit(QUEUE_PAGE_SIZE)
        .options(selectinload(Draft.comment).selectinload(Comment.classifications))
    ).all()
    pending = session.scalar(
        select(func.count()).select_from(Draft).where(Draft.status == DraftStatus.PENDING)
    )
    flash = request.session.pop("flash", None)
    return _render(
        request, "queue.html", user, drafts=drafts, pending=pending, now=utcnow(), flash=flash
    )


def _pending_draft(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise HTTPException(status_code=404, detail=f"no draft {draft_id}")
    return draft


@router.post("/drafts/{draft_id}/approve", dependencies=[CsrfChecked])
def approve_draft(
    request: Request,
    draft_id: int,
    session: DbSession,
    user: CurrentUser,
    text: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    draft = _pending_draft(session, draft_id)
    try:
        approve(session, draft, user, text=text)
    except NotAllowed as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from None
    except ReviewError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    request.session["flash"] = translator(user.language)["approved"]
    return RedirectResponse("/queue", status_code=303)


@router.post("/drafts/{draft_id}/reject", dependencies=[CsrfChecked])
def reject_draft(
    request: Request,
    draft_id: int,
    session: DbSession,
    user: CurrentUser,
    reason: Annotated[str, Form()] = "",
) -> RedirectResponse:
    draft = _pending_draft(session, draft_id)
    try:
        reject(session, draft, user, reason=reason)
    except ReviewError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    request.session["flash"] = translator(user.language)["rejected"]
    return RedirectResponse("/queue", status_code=303)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@router.get("/healthz")
def healthz(session: DbSession) -> JSONResponse:
    """Liveness and the figures an operator checks first; no sign-in needed, no content."""
    comments = session.scalar(select(func.count()).select_from(Comment)) or 0
    pending = (
        session.scalar(
            select(func.count()).select_from(Draft).where(Draft.status == DraftStatus.PENDING)
        )
        or 0
    )
    sources = [
        {
            "name": source.name,
            "platform": source.platform,
            "enabled": source.enabled,
            "status": source.status,
            "last_poll": _iso(source.last_polled_at),
            "last_success": _iso(source.last_success_at),
            "last_error": source.last_error,
            "last_error_at": _iso(source.last_error_at),
        }
        for source in session.scalars(select(Source).order_by(Source.name))
    ]
    failing = any(s["status"] == "failing" for s in sources if s["enabled"])
    return JSONResponse(
        {
            "status": "degraded" if failing else "ok",
            "comments": comments,
            "drafts_pending": pending,
            "sources": sources,
        }
    )
