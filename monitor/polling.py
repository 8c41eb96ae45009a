"""Polling one source: fetch outside any transaction, then store and move the cursor.

Network calls never hold a database transaction open, and the cursor is written in the
same commit as the comments it covers (the incremental-connector rule).

Workers never sleep to wait for a platform. Every outcome ends with `next_poll_at`
stored on the source: after a normal cycle, the poll interval (stretched when the
platform reports heavy usage) or the latest rate-limit reset still ahead; after a
rate limit, the reset the platform announced; after a server error or a timeout, a
capped exponential backoff with jitter; after a rejected token, the source is marked
failing, an alert is opened for a person, and a slow retry is scheduled so that a
renewed token is picked up on its own. With `respect_schedule`, `poll_source` does
nothing before `next_poll_at` (a scheduler that ticks faster than the backoff can call
it freely); in every case a rate-limit reset stored with the source is honoured, since
the adapter gets that state back before its first call and refuses to call early.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ecoute.core.db import session_scope
from ecoute.core.domain import AlertStatus, SourceStatus
from ecoute.core.models import Alert, Source, utcnow
from ecoute.monitor.ingest import store_comments
from ecoute.platforms.base import (
    AuthenticationFailed,
    FetchResult,
    PlatformError,
    RateAware,
    RateLimited,
    SourceAdapter,
)
from ecoute.platforms.ratelimit import merge_states
from ecoute.platforms.retry import backoff_delay

log = structlog.get_logger("ecoute.monitor.polling")

AUTH_RETRY = timedelta(minutes=15)
ALERT_KIND = "source_failing"


@dataclass(frozen=True, slots=True)
class PollReport:
    source: str
    pages: int
    received: int
    stored: int
    error: str | None = None
    skipped: bool = False
    next_poll_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """How long to wait after each kind of failure."""

    backoff_base_s: float = 5.0
    backoff_cap_s: float = 900.0
    auth_retry: timedelta = AUTH_RETRY


def alert_key(source_id: int) -> str:
    return f"source-auth:{source_id}"


def due_sources(factory: sessionmaker[Session], *, now: datetime | None = None) -> list[int]:
    """Enabled sources whose next poll is due."""
    now = now or utcnow()
    with session_scope(factory) as session:
        return list(
            session.scalars(
                select(Source.id)
                .where(Source.enabled.is_(True))
                .where((Source.next_poll_at.is_(None)) | (Source.next_poll_at <= now))
                .order_by(Source.next_poll_at, Source.id)
            )
        )


def poll_source(
    factory: sessionmaker[Session],
    source_id: int,
    adapter: SourceAdapter,
    *,
    max_pages: int = 20,
    clock: Callable[[], datetime] = utcnow,
    respect_schedule: bool = False,
    policy: PollPolicy = PollPolicy(),
    rng: random.Random | None = None,
) -> PollReport:
    """Fetch and store pages from one source until it has nothing more (or `max_pages`).

    With `respect_schedule`, nothing is sent before the source's `next_poll_at`; never,
    in any case, before a rate-limit reset stored with the source.
    """
    pages = received = stored = 0
    with session_scope(factory) as session:
        source = session.get_one(Source, source_id)
        name, cursor = source.name, dict(source.cursor or {})
        if respect_schedule and source.next_poll_at and source.next_poll_at > clock():
            return PollReport(name, 0, 0, 0, skipped=True, next_poll_at=source.next_poll_at)
        stored_state = dict(source.rate_limit or {})
    if isinstance(adapter, RateAware):
        adapter.restore_rate_limit_state(stored_state)
    error: str | None = None
    next_poll_at: datetime | None = None
    while pages < max_pages:
        try:
            result = adapter.fetch(cursor)
        except PlatformError as exc:
            error = str(exc)
            next_poll_at = _record_failure(factory, source_id, adapter, exc, clock, policy, rng)
            break
        last = not result.has_more or pages + 1 >= max_pages
        with session_scope(factory) as session:
            source = session.get_one(Source, source_id, with_for_update=True)
            report = store_comments(session, source, result.comments, result.cursor)
            now = clock()
            source.last_polled_at = source.last_success_at = now
            if source.status == SourceStatus.FAILING:
                _resolve_alert(session, source, now)
            source.status = SourceStatus.OK
            source.consecutive_failures = 0
            source.last_error = None
            source.rate_limit = _merged_state(source, adapter, result)
            source.next_poll_at = next_poll_at = _next_poll(
                source, adapter, now, more=result.has_more and last
            )
        pages += 1
        received += report.received
        stored += report.stored
        cursor = result.cursor
        if not result.has_more:
            break
    log.info(
        "source_polled",
        source=name,
        source_id=source_id,
        pages=pages,
        received=received,
        stored=stored,
        error=error,
        next_poll_at=next_poll_at.isoformat() if next_poll_at else None,
    )
    return PollReport(name, pages, received, stored, error, next_poll_at=next_poll_at)


def _merged_state(source: Source, adapter: SourceAdapter, result: FetchResult | None) -> dict:
    state = adapter.rate_limit_state() if isinstance(adapter, RateAware) else None
    if state is None:
        state = result.rate_limit if result is not None else {}
    if not state:
        return dict(source.rate_limit or {})
    return merge_states(source.rate_limit or {}, state)


def _next_poll(source: Source, adapter: SourceAdapter, now: datetime, *, more: bool) -> datetime:
    """Right away when pages remain, else after the (stretched) interval; never before a
    rate-limit reset still ahead."""
    blocked = adapter.blocked_until(now) if isinstance(adapter, RateAware) else None
    slow = float((source.rate_limit or {}).get("slow_factor") or 1.0)
    wanted = now if more else now + timedelta(seconds=source.poll_interval_s * max(slow, 1.0))
    return max(wanted, blocked) if blocked else wanted


def _record_failure(
    factory: sessionmaker[Session],
    source_id: int,
    adapter: SourceAdapter,
    exc: PlatformError,
    clock: Callable[[], datetime],
    policy: PollPolicy,
    rng: random.Random | None,
) -> datetime:
    with session_scope(factory) as session:
        source = session.get_one(Source, source_id, with_for_update=True)
        now = clock()
        source.last_polled_at = source.last_error_at = now
        source.last_error = str(exc)
        source.rate_limit = _merged_state(source, adapter, None)
        blocked = adapter.blocked_until(now) if isinstance(adapter, RateAware) else None
        if isinstance(exc, RateLimited):
            when = exc.retry_at or now + timedelta(seconds=policy.backoff_base_s)
        elif isinstance(exc, AuthenticationFailed):
            source.consecutive_failures += 1
            source.status = SourceStatus.FAILING
            _open_alert(session, source, exc, now)
            when = now + policy.auth_retry
        else:
            source.consecutive_failures += 1
            when = now + backoff_delay(
                source.consecutive_failures,
                base_s=policy.backoff_base_s,
                cap_s=policy.backoff_cap_s,
                rng=rng,
            )
        if exc.retry_at and exc.retry_at > when:
            when = exc.retry_at
        if blocked and blocked > when:
            when = blocked
        source.next_poll_at = when
        level = "source_rate_limited" if isinstance(exc, RateLimited) else "source_poll_failed"
        log.warning(
            level,
            source=source.name,
            source_id=source_id,
            error=str(exc),
            failures=source.consecutive_failures,
            next_poll_at=when.isoformat(),
        )
        return when


def _open_alert(session: Session, source: Source, exc: PlatformError, now: datetime) -> None:
    """One open alert per failing source; a person must renew the token or the permission."""
    key = alert_key(source.id)
    alert = session.scalars(
        select(Alert)
        .where(Alert.dedup_key == key)
        .where(Alert.status.in_([AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]))
    ).first()
    detail = (
        f"{exc}\n\nÉcoute stopped reading and answering on this source. It retries every "
        "15 minutes and recovers on its own once the token in the environment works again."
    )
    if alert is None:
        session.add(
            Alert(
                kind=ALERT_KIND,
                severity="critical",
                title=f"{source.platform} source {source.name!r} cannot authenticate",
                detail=detail,
                dedup_key=key,
                source_id=source.id,
                data={"platform": source.platform, "account": source.account, "error": str(exc)},
                created_at=now,
            )
        )
    else:
        alert.detail = detail
        alert.data = {**(alert.data or {}), "error": str(exc), "last_seen_at": now.isoformat()}


def _resolve_alert(session: Session, source: Source, now: datetime) -> None:
    for alert in session.scalars(
        select(Alert)
        .where(Alert.dedup_key == alert_key(source.id))
        .where(Alert.status.in_([AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]))
    ):
        alert.status = AlertStatus.RESOLVED
        alert.resolved_at = now
    log.info("source_recovered", source=source.name, source_id=source.id)
