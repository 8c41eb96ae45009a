"""Publishing approved drafts, each at most once.

A draft is claimed (status `publishing`, a lease in `next_attempt_at`) and committed
before the platform is called. If the process dies after the platform answered but
before the result was committed, the claim expires and the next attempt first asks the
platform whether our reply is already there (reconciliation) instead of posting again.
The same holds after a timeout or a server error, where the reply may or may not have
been posted. Hiding is idempotent; a private reply can only be sent once per comment,
and the platform's "already replied" answer is recorded as done.

Rate limits are honoured without sleeping: the adapter's state is restored from the
source before a call, a limited draft goes back to `approved` with `next_attempt_at`
at the reset (the attempt is not counted), and the state is saved for the next process.
A rejected token leaves the draft waiting and marks the source failing with an alert.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from ecoute.core.audit import record
from ecoute.core.db import session_scope
from ecoute.core.domain import Action, AlertStatus, DraftStatus, SourceStatus
from ecoute.core.models import Alert, Comment, Draft, Source, utcnow
from ecoute.platforms.base import (
    AlreadyDone,
    AuthenticationFailed,
    NotSupported,
    PlatformError,
    RateAware,
    RateLimited,
    ReplyTarget,
    SourceAdapter,
)
from ecoute.platforms.ratelimit import merge_states
from ecoute.platforms.retry import backoff_delay

log = structlog.get_logger("ecoute.responders.outbox")

PUBLISHABLE = (Action.REPLY, Action.HIDE, Action.PRIVATE_REPLY)
AUTH_RETRY = timedelta(minutes=15)
# After a timeout or a server error the write may still be in flight on the platform's
# side; looking for it too early would miss it and post a second reply.
SETTLE = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Claim:
    draft_id: int
    source_id: int
    action: str
    text: str | None
    attempts: int
    target: ReplyTarget


@dataclass(slots=True)
class OutboxReport:
    published: int = 0
    failed: int = 0
    reconciled: int = 0


def _claim_next(session: Session, lease: timedelta, now: datetime) -> Claim | None:
    draft = session.scalars(
        select(Draft)
        .join(Comment)
        .where(Draft.action.in_(PUBLISHABLE))
        .where(
            or_(
                (Draft.status == DraftStatus.APPROVED)
                & or_(Draft.next_attempt_at.is_(None), Draft.next_attempt_at <= now),
                (Draft.status == DraftStatus.PUBLISHING) & (Draft.next_attempt_at <= now),
            )
        )
        .order_by(Draft.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if draft is None:
        return None
    comment = draft.comment
    draft.status = DraftStatus.PUBLISHING
    draft.attempts += 1
    draft.next_attempt_at = now + lease
    return Claim(
        draft_id=draft.id,
        source_id=comment.source_id,
        action=draft.action,
        text=draft.text,
        attempts=draft.attempts,
        target=ReplyTarget(
            external_id=comment.external_id,
            thread_id=comment.thread_id,
            author_handle=comment.author_handle,
            text=comment.text,
            parent_external_id=comment.parent_external_id,
        ),
    )


def _carry_out(adapter: SourceAdapter, claim: Claim) -> tuple[str | None, bool]:
    """Do the platform call; return the reply id and whether it was found already done."""
    if claim.action == Action.HIDE:
        adapter.hide(claim.target)
        return None, False
    text = claim.text or ""
    if claim.action == Action.PRIVATE_REPLY:
        try:
            return adapter.private_reply(claim.target, text), False
        except AlreadyDone:
            return None, True
    if claim.attempts > 1:
        existing = adapter.find_reply(claim.target, text)
        if existing:
            return existing, True
    return adapter.publish_reply(claim.target, text), False


def publish_approved(
    factory: sessionmaker[Session],
    adapter_for: Callable[[int], SourceAdapter],
    *,
    lease: timedelta = timedelta(minutes=2),
    max_attempts: int = 8,
    limit: int = 100,
    clock: Callable[[], datetime] = utcnow,
    rng: random.Random | None = None,
) -> OutboxReport:
    """Publish approved drafts until none is due (or `limit` were handled)."""
    report = OutboxReport()
    for _ in range(limit):
        with session_scope(factory) as session:
            claim = _claim_next(session, lease, clock())
            state = dict(session.get_one(Source, claim.source_id).rate_limit or {}) if claim else {}
        if claim is None:
            break
        adapter = adapter_for(claim.source_id)
        if isinstance(adapter, RateAware):
            adapter.restore_rate_limit_state(state)
        try:
            reply_id, reconciled = _carry_out(adapter, claim)
        except PlatformError as exc:
            _record_failure(factory, claim, adapter, exc, max_attempts, clock(), rng)
            report.failed += 1
            continue
        with session_scope(factory) as session:
            draft = session.get_one(Draft, claim.draft_id)
            draft.status = DraftStatus.PUBLISHED
            draft.external_reply_id = reply_id
            draft.published_at = clock()
            draft.next_attempt_at = None
            draft.last_error = None
            _save_rate_state(session, claim.source_id, adapter)
            record(
                session,
                actor=None,
                action=f"draft.publish.{claim.action}",
                entity_type="draft",
                entity_id=claim.draft_id,
                after={"external_reply_id": reply_id, "reconciled": reconciled},
            )
        report.published += 1
        report.reconciled += int(reconciled)
        log.info(
            "draft_published",
            draft_id=claim.draft_id,
            action=claim.action,
            reply_id=reply_id,
            reconciled=reconciled,
        )
    return report


def _save_rate_state(session: Session, source_id: int, adapter: SourceAdapter) -> None:
    if isinstance(adapter, RateAware):
        source = session.get_one(Source, source_id, with_for_update=True)
        source.rate_limit = merge_states(source.rate_limit or {}, adapter.rate_limit_state())


def _record_failure(
    factory: sessionmaker[Session],
    claim: Claim,
    adapter: SourceAdapter,
    exc: PlatformError,
    max_attempts: int,
    now: datetime,
    rng: random.Random | None,
) -> None:
    with session_scope(factory) as session:
        draft = session.get_one(Draft, claim.draft_id)
        draft.last_error = str(exc)
        _save_rate_state(session, claim.source_id, adapter)
        if isinstance(exc, RateLimited):
            # Nothing was accepted by the platform: the attempt does not count.
            draft.status = DraftStatus.APPROVED
            draft.attempts = max(claim.attempts - 1, 0)
            draft.next_attempt_at = exc.retry_at or now + timedelta(seconds=60)
        elif isinstance(exc, AuthenticationFailed):
            draft.status = DraftStatus.APPROVED
            draft.attempts = max(claim.attempts - 1, 0)
            draft.next_attempt_at = now + AUTH_RETRY
            _source_failing(session, claim.source_id, exc, now)
        elif isinstance(exc, NotSupported) or claim.attempts >= max_attempts:
            draft.status = DraftStatus.FAILED
            draft.next_attempt_at = None
        else:
            draft.status = DraftStatus.APPROVED
            delay = backoff_delay(claim.attempts, base_s=10.0, cap_s=3600.0, rng=rng)
            draft.next_attempt_at = max(exc.retry_at or now, now + max(delay, SETTLE))
    log.warning(
        "draft_publish_failed", draft_id=claim.draft_id, attempts=claim.attempts, error=str(exc)
    )


def _source_failing(session: Session, source_id: int, exc: PlatformError, now: datetime) -> None:
    """The token used for answering was refused: a person must renew it."""
    source = session.get_one(Source, source_id, with_for_update=True)
    source.status = SourceStatus.FAILING
    source.last_error = str(exc)
    source.last_error_at = now
    key = f"source-auth:{source_id}"
    open_alert = session.scalars(
        select(Alert)
        .where(Alert.dedup_key == key)
        .where(Alert.status.in_([AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]))
    ).first()
    if open_alert is None:
        session.add(
            Alert(
                kind="source_failing",
                severity="critical",
                title=f"{source.platform} source {source.name!r} cannot publish",
                detail=f"{exc}\n\nApproved replies wait until the token works again.",
                dedup_key=key,
                source_id=source_id,
                data={"platform": source.platform, "account": source.account, "error": str(exc)},
                created_at=now,
            )
        )
