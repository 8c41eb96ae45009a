"""Health: /healthz for monitoring probes, /health for the operator.

The probe needs no sign-in and shows no content; the page says, for each source, when it
was last polled, where its cursor is, its rate-limit state and its last error, which
model version classifies, and what the scheduler will run next.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoute.console.views.common import CurrentUser, DbSession, console_state, render
from ecoute.core.domain import CommentStatus, DraftStatus
from ecoute.core.models import Classification, Comment, Draft, JobState, Source

router = APIRouter()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _count(session: Session, model: Any, status: str) -> int:
    return (
        session.scalar(select(func.count()).select_from(model).where(model.status == status)) or 0
    )


@router.get("/healthz")
def healthz(session: DbSession) -> JSONResponse:
    """Liveness and the figures an operator checks first; no sign-in needed, no content."""
    comments = session.scalar(select(func.count()).select_from(Comment)) or 0
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
            "drafts_pending": _count(session, Draft, DraftStatus.PENDING),
            "sources": sources,
        }
    )


def _model(session: Session) -> dict[str, Any]:
    latest = session.scalars(
        select(Classification)
        .where(Classification.origin == "model")
        .order_by(Classification.id.desc())
        .limit(1)
    ).first()
    corrections = (
        session.scalar(
            select(func.count()).select_from(Classification).where(Classification.origin == "cm")
        )
        or 0
    )
    return {
        "version": latest.model_version if latest else None,
        "last_used": latest.created_at if latest else None,
        "corrections": corrections,
    }


def _jobs(request: Request) -> list[dict[str, Any]] | None:
    scheduler = console_state(request).scheduler
    if scheduler is None:
        return None
    return [
        {"id": job.id, "next_run": getattr(job, "next_run_time", None), "trigger": str(job.trigger)}
        for job in scheduler.get_jobs()
    ]


def _job_states(session: Session) -> list[JobState]:
    """Every process's jobs, failing ones first: what an operator checks after an alert."""
    return list(
        session.scalars(
            select(JobState).order_by(
                JobState.last_error_at.is_(None), JobState.job_id, JobState.owner
            )
        )
    )


@router.get("/health", response_class=HTMLResponse)
def health_page(request: Request, session: DbSession, user: CurrentUser) -> HTMLResponse:
    sources = session.scalars(select(Source).order_by(Source.name)).all()
    backlog = {
        "new": _count(session, Comment, CommentStatus.NEW),
        "classified": _count(session, Comment, CommentStatus.CLASSIFIED),
        "pending": _count(session, Draft, DraftStatus.PENDING),
        "approved": _count(session, Draft, DraftStatus.APPROVED),
        "publishing": _count(session, Draft, DraftStatus.PUBLISHING),
        "failed": _count(session, Draft, DraftStatus.FAILED),
    }
    return render(
        request,
        "health.html",
        user,
        sources=sources,
        backlog=backlog,
        model=_model(session),
        job_states=_job_states(session),
        jobs=_jobs(request),
    )
