"""Polling one source: fetch outside any transaction, then store and move the cursor.

Network calls never hold a database transaction open, and the cursor is written in the
same commit as the comments it covers (the incremental-connector rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy.orm import Session, sessionmaker

from ecoute.core.db import session_scope
from ecoute.core.domain import SourceStatus
from ecoute.core.models import Source, utcnow
from ecoute.monitor.ingest import store_comments
from ecoute.platforms.base import AuthenticationFailed, PlatformError, SourceAdapter

log = structlog.get_logger("ecoute.monitor.polling")


@dataclass(frozen=True, slots=True)
class PollReport:
    source: str
    pages: int
    received: int
    stored: int
    error: str | None = None


def poll_source(
    factory: sessionmaker[Session],
    source_id: int,
    adapter: SourceAdapter,
    *,
    max_pages: int = 20,
) -> PollReport:
    """Fetch and store pages from one source until it has nothing more (or `max_pages`)."""
    pages = received = stored = 0
    with session_scope(factory) as session:
        source = session.get_one(Source, source_id)
        name, cursor = source.name, dict(source.cursor or {})
    error: str | None = None
    while pages < max_pages:
        try:
            result = adapter.fetch(cursor)
        except PlatformError as exc:
            error = str(exc)
            _record_failure(factory, source_id, exc)
            break
        with session_scope(factory) as session:
            source = session.get_one(Source, source_id)
            report = store_comments(session, source, result.comments, result.cursor)
            now = utcnow()
            source.last_polled_at = source.last_success_at = now
            source.status = SourceStatus.OK
            source.consecutive_failures = 0
            source.last_error = None
            if result.rate_limit:
                source.rate_limit = result.rate_limit
        pages += 1
        received += report.received
        stored += report.stored
        cursor = result.cursor
        if not result.has_more:
            break
    log.info(
        "source_polled", source=name, pages=pages, received=received, stored=stored, error=error
    )
    return PollReport(name, pages, received, stored, error)


def _record_failure(factory: sessionmaker[Session], source_id: int, exc: PlatformError) -> None:
    with session_scope(factory) as session:
        source = session.get_one(Source, source_id)
        now = utcnow()
        source.last_polled_at = source.last_error_at = now
        source.last_error = str(exc)
        source.consecutive_failures += 1
        if isinstance(exc, AuthenticationFailed):
            source.status = SourceStatus.FAILING
        backoff = min(2**source.consecutive_failures, 3600)
        source.next_poll_at = exc.retry_at or now + timedelta(seconds=backoff)
    log.warning("source_poll_failed", source_id=source_id, error=str(exc))
