"""Recording what the scheduler does, so that a failing job is seen, not just logged.

Every run, failure and missed run of a job is counted in `job_states`, one row per
process and job. The health page reads that table, which shows every worker's
scheduler, whichever process serves the console.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ecoute.core.db import session_scope
from ecoute.core.models import JobState, utcnow

log = structlog.get_logger("ecoute.console.jobs")

JOB_EVENTS = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED


def record_job_event(
    factory: sessionmaker[Session],
    owner: str,
    event: JobExecutionEvent,
    now: datetime | None = None,
) -> None:
    """Count one run, failure or miss of a job for this process."""
    now = now or utcnow()
    with session_scope(factory) as session:
        state = session.scalars(
            select(JobState).where(JobState.owner == owner, JobState.job_id == event.job_id)
        ).first()
        if state is None:
            state = JobState(owner=owner, job_id=event.job_id, runs=0, failures=0, missed=0)
            session.add(state)
        if event.code == EVENT_JOB_MISSED:
            state.missed += 1
            return
        state.runs += 1
        state.last_run_at = now
        if event.code == EVENT_JOB_ERROR:
            state.failures += 1
            state.last_error = f"{type(event.exception).__name__}: {event.exception}"[:2000]
            state.last_error_at = now
        else:
            state.last_success_at = now


def job_listener(factory: sessionmaker[Session], owner: str):
    """The scheduler listener: log failures with their traceback, count everything."""

    def listen(event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_ERROR:
            log.error(
                "job_failed",
                job=event.job_id,
                owner=owner,
                error=f"{type(event.exception).__name__}: {event.exception}",
                traceback=event.traceback,
            )
        elif event.code == EVENT_JOB_MISSED:
            log.warning("job_missed", job=event.job_id, owner=owner)
        try:
            record_job_event(factory, owner, event)
        except Exception as exc:  # the database may be the thing that is failing
            log.error("job_state_not_recorded", job=event.job_id, error=str(exc))

    return listen
