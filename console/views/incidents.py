"""Incidents: a known problem on the brand's side, declared once by an approver so that
every matching complaint gets a reply that names and admits it, and the brand's own feed
gets an information post; resolving it drafts the "it's fixed" post.

Anyone signed in sees the incidents; declaring and resolving need the approver role,
because both draft what the brand says publicly. The audit events are written by
`responders.incident_service`, in the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ecoute.console.i18n import translator
from ecoute.console.incident_pages import (
    active_rows,
    complaints_of,
    incident_row,
    past_rows,
    posts_of,
)
from ecoute.console.queries import reach_of
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
from ecoute.core.models import User
from ecoute.responders.flows import drafter_for
from ecoute.responders.incident_service import (
    IncidentError,
    declare_incident,
    resolve_incident,
)
from ecoute.responders.length import limit_for, weighted_length

router = APIRouter(prefix="/incidents")


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form as plain strings: the summaries come one field per brand language."""
    return {key: str(value) for key, value in (await request.form()).items()}


FormFields = Annotated[dict[str, str], Depends(form_fields)]


def _list_page(
    request: Request,
    session: DbSession,
    user: User,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: Mapping[str, str] | None = None,
) -> HTMLResponse:
    settings = console_state(request).settings
    return render(
        request,
        "incidents.html",
        user,
        status_code=status_code,
        active=active_rows(session),
        past=past_rows(session),
        languages=settings.brand.languages,
        default_status_url=settings.incident.status_url or "",
        error=error,
        form=form or {},
    )


@router.get("", response_class=HTMLResponse)
def incidents_page(request: Request, session: DbSession, user: CurrentUser) -> HTMLResponse:
    return _list_page(request, session, user)


def split_keywords(text: str) -> list[str]:
    """Keywords as typed: one per line or separated by commas."""
    return [part.strip() for line in text.splitlines() for part in line.split(",") if part.strip()]


def _status_url(value: str) -> str | None:
    value = value.strip()
    if value and not value.startswith(("https://", "http://")):
        raise IncidentError(
            "the status link must be a web address starting with https:// (it is published)"
        )
    return value or None


@router.post("", response_model=None, dependencies=[CsrfChecked])
def declare(request: Request, session: DbSession, user: Approver, form: FormFields) -> Response:
    """Declare an incident from the form; a refusal shows the form again, as typed."""
    settings = console_state(request).settings
    summary = {code: form.get(f"summary_{code}", "") for code in settings.brand.languages}
    try:
        drafter_for(settings).refresh()
        incident = declare_incident(
            session=session,
            settings=settings,
            title=form.get("title", ""),
            summary=summary,
            keywords=split_keywords(form.get("keywords", "")),
            status_url=_status_url(form.get("status_url", "")),
            declared_by=user,
        )
    except IncidentError as exc:
        return _list_page(request, session, user, status_code=422, error=str(exc), form=form)
    flash(request, translator(user.language)["incident_declared_flash"])
    return back_to(f"/incidents/{incident.id}")


@router.get("/{incident_id:int}", response_class=HTMLResponse)
def incident_page(
    request: Request, incident_id: int, session: DbSession, user: CurrentUser
) -> HTMLResponse:
    row = incident_row(session, incident_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"no incident {incident_id}")
    posts = [
        {
            "post": post,
            "length": weighted_length(post.text, post.platform),
            "limit": limit_for(post.platform),
        }
        for post in posts_of(session, incident_id)
    ]
    return render(
        request,
        "incident.html",
        user,
        row=row,
        incident=row.incident,
        posts=posts,
        complaints=complaints_of(session, incident_id),
        reach=reach_of,
        languages=console_state(request).settings.brand.languages,
    )


@router.post("/{incident_id:int}/resolve", dependencies=[CsrfChecked])
def resolve(
    request: Request, incident_id: int, session: DbSession, user: Approver, form: FormFields
) -> RedirectResponse:
    """Close the incident: complaints stop being matched and the "fixed" post is drafted."""
    settings = console_state(request).settings
    resolution = {code: form.get(f"resolution_{code}", "") for code in settings.brand.languages}
    try:
        drafter_for(settings).refresh()
        resolve_incident(
            session=session,
            settings=settings,
            incident_id=incident_id,
            resolution=resolution,
            resolved_by=user,
        )
    except IncidentError as exc:
        status = 404 if "does not exist" in str(exc) else 409
        raise HTTPException(status_code=status, detail=str(exc)) from None
    flash(request, translator(user.language)["incident_resolved_flash"])
    return back_to(f"/incidents/{incident_id}")
