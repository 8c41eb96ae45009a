"""Administration: accounts and roles, and the audit trail of every action."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select

from ecoute.console.accounts import AccountError, create_user, hash_password
from ecoute.console.i18n import LANGUAGES, translator
from ecoute.console.views.common import Admin, CsrfChecked, DbSession, back_to, flash, render
from ecoute.core.audit import record
from ecoute.core.domain import Role
from ecoute.core.models import AuditEvent, User

router = APIRouter(prefix="/admin")
AUDIT_PAGE = 100


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, session: DbSession, user: Admin) -> HTMLResponse:
    users = session.scalars(select(User).order_by(User.username)).all()
    return render(
        request, "users.html", user, users=users, roles=[r.value for r in Role], languages=LANGUAGES
    )


@router.post("/users", dependencies=[CsrfChecked])
def add_user(
    request: Request,
    session: DbSession,
    user: Admin,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = Role.AGENT,
    language: Annotated[str, Form()] = "fr",
) -> RedirectResponse:
    if role not in {r.value for r in Role} or language not in LANGUAGES:
        raise HTTPException(status_code=422, detail="unknown role or language")
    try:
        created = create_user(
            session,
            username=username,
            password=password,
            display_name=display_name.strip() or username,
            role=Role(role),
            language=language,
        )
    except AccountError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    record(
        session,
        actor=user,
        action="user.create.console",
        entity_type="user",
        entity_id=created.id,
        after={"username": created.username, "role": role},
    )
    flash(request, translator(user.language)["user_saved"])
    return back_to("/admin/users")


def _active_admins(session: DbSession) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN, User.active.is_(True))
        )
        or 0
    )


@router.post("/users/{user_id}", dependencies=[CsrfChecked])
def update_user(
    request: Request,
    user_id: int,
    session: DbSession,
    user: Admin,
    role: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Change a role, switch an account off or on, or set a new password."""
    target = session.get(User, user_id)
    if target is None:
        raise HTTPException(status_code=404, detail=f"no user {user_id}")
    before = {"role": target.role, "active": target.active}
    if role and role not in {r.value for r in Role}:
        raise HTTPException(status_code=422, detail=f"unknown role {role!r}")
    new_role = role or target.role
    new_active = active == "on"
    losing_admin = target.role == Role.ADMIN and (new_role != Role.ADMIN or not new_active)
    if losing_admin and target.active and _active_admins(session) <= 1:
        raise HTTPException(
            status_code=409, detail="the last active admin cannot be demoted or switched off"
        )
    target.role = new_role
    target.active = new_active
    after: dict[str, object] = {"role": target.role, "active": target.active}
    if password:
        try:
            target.password_hash = hash_password(password)
        except AccountError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        after["password"] = "changed"
    record(
        session,
        actor=user,
        action="user.update",
        entity_type="user",
        entity_id=target.id,
        before=before,
        after=after,
    )
    flash(request, translator(user.language)["user_saved"])
    return back_to("/admin/users")


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: DbSession,
    user: Admin,
    before: int | None = None,
    action: str | None = None,
) -> HTMLResponse:
    """The audit trail, newest first, a page at a time (keyset on the id)."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE)
    if before:
        query = query.where(AuditEvent.id < before)
    if action:
        query = query.where(AuditEvent.action == action)
    events = session.scalars(query).all()
    older = events[-1].id if len(events) == AUDIT_PAGE else None
    return render(request, "audit.html", user, events=events, older=older, action=action or "")
