"""The review queue: pending drafts in order of urgency, with the queue's filters."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ecoute.console.queries import (
    CATEGORIES,
    PLATFORMS,
    STATUS_GROUPS,
    QueueFilters,
    latest_classification,
    queue_page,
    reach_of,
)
from ecoute.console.views.common import CurrentUser, DbSession, console_state, render
from ecoute.core.models import utcnow
from ecoute.responders.private_reply import private_reply_offered

router = APIRouter()


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, session: DbSession, user: CurrentUser) -> HTMLResponse:
    filters = QueueFilters.parse(dict(request.query_params))
    page = queue_page(session, filters, user)
    settings = console_state(request).settings
    return render(
        request,
        "queue.html",
        user,
        page=page,
        drafts=page.drafts,
        pending=page.total,
        filters=filters,
        categories=CATEGORIES,
        platforms=PLATFORMS,
        languages=settings.brand.languages,
        statuses=tuple(STATUS_GROUPS),
        latest=latest_classification,
        reach=reach_of,
        offers_private=private_reply_offered,
        here=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        now=utcnow(),
    )
