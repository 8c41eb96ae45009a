"""Publishing approved drafts, each at most once.

A draft is claimed (status `publishing`, a lease in `next_attempt_at`) and committed
before the platform is called. If the process dies after the platform answered but
before the result was committed, the claim expires and the next attempt first asks the
platform whether our reply is already there (reconciliation) instead of posting again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from ecoute.core.audit import record
from ecoute.core.db import session_scope
from ecoute.core.domain import Action, DraftStatus
from ecoute.core.models import Comment, Draft, utcnow
from ecoute.platforms.base import PlatformError, ReplyTarget, SourceAdapter

log = structlog.get_logger("ecoute.responders.outbox")

PUBLISHABLE = (Action.REPLY, Action.HIDE)


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


def _claim_next(session: Session, lease: timedelta) -> Claim | None:
    now = utcnow()
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
        ),
    )


def _carry_out(adapter: SourceAdapter, claim: Claim) -> tuple[str | None, bool]:
    """Do the platform call; return the reply id and whether it was found already there."""
    if claim.action == Action.HIDE:
        adapter.hide(claim.target)
        return None, False
    text = claim.text or ""
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
) -> OutboxReport:
    """Publish approved drafts until none is due (or `limit` were handled)."""
    report = OutboxReport()
    for _ in range(limit):
        with session_scope(factory) as session:
            claim = _claim_next(session, lease)
        if claim is None:
            break
        try:
            reply_id, reconciled = _carry_out(adapter_for(claim.source_id), claim)
        except PlatformError as exc:
            _record_failure(factory, claim, exc, max_attempts)
            report.failed += 1
            continue
        with session_scope(factory) as session:
            draft = session.get_one(Draft, claim.draft_id)
            draft.status = DraftStatus.PUBLISHED
            draft.external_reply_id = reply_id
            draft.published_at = utcnow()
            draft.next_attempt_at = None
            draft.last_error = None
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


def _record_failure(
    factory: sessionmaker[Session], claim: Claim, exc: PlatformError, max_attempts: int
) -> None:
    with session_scope(factory) as session:
        draft = session.get_one(Draft, claim.draft_id)
        draft.last_error = str(exc)
        if claim.attempts >= max_attempts:
            draft.status = DraftStatus.FAILED
            draft.next_attempt_at = None
        else:
            draft.status = DraftStatus.APPROVED
            backoff = timedelta(seconds=min(2**claim.attempts * 5, 3600))
            draft.next_attempt_at = exc.retry_at or utcnow() + backoff
    log.warning(
        "draft_publish_failed", draft_id=claim.draft_id, attempts=claim.attempts, error=str(exc)
    )
