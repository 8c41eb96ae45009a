"""One comment and its case: the page, and every action a CM takes on it.

Each action is a plain form POST (usable without JavaScript) that redirects back to the
page it came from; the live checks while a draft is edited are the one htmx call.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from ecoute.console import casework
from ecoute.console.i18n import translator
from ecoute.console.queries import CATEGORIES, comment_page, latest_classification, reach_of
from ecoute.console.views.common import (
    Approver,
    CsrfChecked,
    CurrentUser,
    DbSession,
    back_to,
    console_state,
    flash,
    render,
)
from ecoute.core.models import Comment, Draft, User, utcnow
from ecoute.responders.editing import findings_for, save_edit
from ecoute.responders.followups import FollowUpError, record_satisfaction, resolve_case
from ecoute.responders.length import limit_for, weighted_length
from ecoute.responders.private_reply import (
    PrivateReplyError,
    draft_private_reply,
    private_reply_offered,
)
from ecoute.responders.review import NotAllowed, ReviewError, reject

router = APIRouter()

Back = Annotated[str, Form()]


def _draft(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise HTTPException(status_code=404, detail=f"no draft {draft_id}")
    return draft


def _comment(session: Session, comment_id: int) -> Comment:
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise HTTPException(status_code=404, detail=f"no comment {comment_id}")
    return comment


def _refused(exc: Exception) -> HTTPException:
    """403 for a role or four-eyes refusal, 409 for a state that does not allow it."""
    return HTTPException(status_code=403 if isinstance(exc, NotAllowed) else 409, detail=str(exc))


def _done(request: Request, user: User, key: str, back: str) -> RedirectResponse:
    flash(request, translator(user.language)[key])
    return back_to(back)


@router.get("/comments/{comment_id}", response_class=HTMLResponse)
def comment_detail(
    request: Request, comment_id: int, session: DbSession, user: CurrentUser
) -> HTMLResponse:
    page = comment_page(session, comment_id)
    if page is None:
        raise HTTPException(status_code=404, detail=f"no comment {comment_id}")
    return render(
        request,
        "comment.html",
        user,
        page=page,
        comment=page.comment,
        categories=CATEGORIES,
        latest=latest_classification,
        reach=reach_of,
        offers_private=private_reply_offered,
        main_draft=casework.main_draft(page.comment),
        here=f"/comments/{comment_id}",
        now=utcnow(),
    )


@router.post("/drafts/{draft_id}/check", response_class=HTMLResponse, dependencies=[CsrfChecked])
def check(
    request: Request,
    draft_id: int,
    session: DbSession,
    user: CurrentUser,
    text: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """The checks on the text being typed, without saving it: what a careful colleague
    would say, while the CM can still change it."""
    draft = _draft(session, draft_id)
    settings = console_state(request).settings
    findings = findings_for(session, settings, draft, text)
    platform = draft.comment.platform
    private = draft.action == "private_reply"
    return render(
        request,
        "_findings.html",
        user,
        draft=draft,
        findings=[f.as_dict() for f in findings],
        length=weighted_length(text, platform),
        limit=limit_for(platform, private=private),
    )


@router.post("/drafts/{draft_id}/edit", dependencies=[CsrfChecked])
def edit(
    request: Request,
    draft_id: int,
    session: DbSession,
    user: CurrentUser,
    text: Annotated[str, Form()] = "",
    back: Back = "/queue",
) -> RedirectResponse:
    draft = _draft(session, draft_id)
    try:
        save_edit(
            session=session,
            settings=console_state(request).settings,
            draft_id=draft.id,
            text=text,
            user=user,
        )
    except ReviewError as exc:
        raise _refused(exc) from None
    return _done(request, user, "saved", back)


@router.post("/drafts/{draft_id}/approve", dependencies=[CsrfChecked])
def approve_draft(
    request: Request,
    draft_id: int,
    session: DbSession,
    user: Approver,
    text: Annotated[str | None, Form()] = None,
    back: Back = "/queue",
) -> RedirectResponse:
    draft = _draft(session, draft_id)
    try:
        casework.approve_draft(session, console_state(request).settings, draft, user, text=text)
    except ReviewError as exc:
        raise _refused(exc) from None
    return _done(request, user, "approved", back)


@router.post("/drafts/{draft_id}/reject", dependencies=[CsrfChecked])
def reject_draft(
    request: Request,
    draft_id: int,
    session: DbSession,
    user: Approver,
    reason: Annotated[str, Form()] = "",
    back: Back = "/queue",
) -> RedirectResponse:
    draft = _draft(session, draft_id)
    try:
        reject(session, draft, user, reason=reason)
    except ReviewError as exc:
        raise _refused(exc) from None
    return _done(request, user, "rejected", back)


@router.post("/drafts/{draft_id}/private-reply", dependencies=[CsrfChecked])
def private_reply(
    request: Request, draft_id: int, session: DbSession, user: CurrentUser, back: Back = "/queue"
) -> RedirectResponse:
    """Take up the Messenger private reply: a second draft, approved like any other."""
    settings = console_state(request).settings
    try:
        draft_private_reply(
            session=session, settings=settings, draft_id=draft_id, requested_by=user
        )
    except PrivateReplyError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    return _done(request, user, "private_drafted", back)


@router.post("/comments/{comment_id}/reclassify", dependencies=[CsrfChecked])
def reclassify(
    request: Request,
    comment_id: int,
    session: DbSession,
    user: CurrentUser,
    category: Annotated[str, Form()] = "",
    back: Back = "/queue",
) -> RedirectResponse:
    comment = _comment(session, comment_id)
    try:
        casework.reclassify(session, console_state(request).settings, comment, user, category)
    except ReviewError as exc:
        raise _refused(exc) from None
    return _done(request, user, "reclassified", back)


@router.post("/comments/{comment_id}/hide", dependencies=[CsrfChecked])
def hide(
    request: Request, comment_id: int, session: DbSession, user: CurrentUser, back: Back = "/queue"
) -> RedirectResponse:
    comment = _comment(session, comment_id)
    try:
        casework.hide(session, console_state(request).settings, comment, user)
    except ReviewError as exc:
        raise _refused(exc) from None
    return _done(request, user, "hidden" if casework.may_approve(user) else "proposed", back)


@router.post("/comments/{comment_id}/assign", dependencies=[CsrfChecked])
def assign(
    request: Request,
    comment_id: int,
    session: DbSession,
    user: CurrentUser,
    assignee: Annotated[str, Form()] = "",
    back: Back = "/queue",
) -> RedirectResponse:
    comment = _comment(session, comment_id)
    target: User | None = None
    if assignee == "me":
        target = user
    elif assignee.isdigit():
        target = session.get(User, int(assignee))
        if target is None:
            raise HTTPException(status_code=404, detail=f"no user {assignee}")
    try:
        casework.assign(session, comment, user, target)
    except ReviewError as exc:
        raise _refused(exc) from None
    return _done(request, user, "assigned", back)


@router.post("/comments/{comment_id}/escalate", dependencies=[CsrfChecked])
def escalate(
    request: Request,
    comment_id: int,
    session: DbSession,
    user: CurrentUser,
    reason: Annotated[str, Form()] = "",
    back: Back = "/queue",
) -> RedirectResponse:
    comment = _comment(session, comment_id)
    try:
        casework.escalate(session, comment, user, reason)
    except ReviewError as exc:
        raise _refused(exc) from None
    return _done(request, user, "escalated", back)


@router.post("/comments/{comment_id}/resolve", dependencies=[CsrfChecked])
def resolve(
    request: Request,
    comment_id: int,
    session: DbSession,
    user: CurrentUser,
    note: Annotated[str, Form()] = "",
    back: Back = "/queue",
) -> RedirectResponse:
    """Close the case; the follow-up asking how it was handled waits for approval."""
    _comment(session, comment_id)
    try:
        resolve_case(
            session=session,
            settings=console_state(request).settings,
            comment_id=comment_id,
            resolved_by=user,
            note=note,
        )
    except FollowUpError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    return _done(request, user, "resolved", back)


@router.post("/comments/{comment_id}/satisfaction", dependencies=[CsrfChecked])
def satisfaction(
    request: Request,
    comment_id: int,
    session: DbSession,
    user: CurrentUser,
    score: Annotated[int, Form()] = 0,
    back: Back = "/queue",
) -> RedirectResponse:
    _comment(session, comment_id)
    try:
        record_satisfaction(session=session, comment_id=comment_id, score=score, recorded_by=user)
    except FollowUpError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    return _done(request, user, "scored", back)
