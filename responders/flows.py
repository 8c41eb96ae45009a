"""The drafting step: every classified comment gets a decision and, when due, a draft.

Like classification it works in committed batches and keeps its state in the comment's
status, so a killed process leaves nothing half-drafted: the batch is simply drafted
again by the next run.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from ecoute.core.db import session_scope
from ecoute.core.domain import Action, Category, CommentStatus
from ecoute.core.models import Comment, Draft
from ecoute.core.settings import Settings
from ecoute.responders.drafting import ReplyContext, render_reply
from ecoute.responders.policy import decide

log = structlog.get_logger("ecoute.responders.flows")


def draft_batch(session: Session, settings: Settings, batch_size: int) -> int:
    """Decide and draft for up to `batch_size` classified comments in the caller's transaction."""
    comments = session.scalars(
        select(Comment)
        .where(Comment.status == CommentStatus.CLASSIFIED)
        .order_by(Comment.id)
        .limit(batch_size)
        .options(selectinload(Comment.classifications))
        .with_for_update(skip_locked=True)
    ).all()
    for comment in comments:
        latest = comment.classifications[-1]
        decision = decide(
            Category(latest.category),
            latest.flags,
            latest.probabilities,
            language=comment.language,
            languages=settings.brand.languages,
            doubt_threshold=settings.policy.doubt_threshold,
            hide_insults=settings.policy.hide_insults,
        )
        needs_person = comment.language not in settings.brand.languages
        if decision.action == Action.NONE and not needs_person:
            comment.status = CommentStatus.NO_ACTION
            continue
        text = template = None
        if decision.action == Action.REPLY:
            rendered = render_reply(
                settings,
                decision.category,
                ReplyContext(
                    author_handle=comment.author_handle,
                    author_name=comment.author_name,
                    platform=comment.platform,
                    language=str(comment.language),
                    thread_id=comment.thread_id,
                ),
            )
            text, template = rendered.text, rendered.template
        deadline = timedelta(minutes=settings.deadlines.minutes_for(decision.category))
        session.add(
            Draft(
                comment_id=comment.id,
                action=decision.action,
                category=decision.category,
                language=comment.language,
                text=text,
                original_text=text,
                template=template,
                findings=[] if not needs_person else [{"name": "language_not_answered"}],
                due_at=comment.created_at + deadline,
            )
        )
        comment.status = CommentStatus.QUEUED
    return len(comments)


def draft_pending(
    factory: sessionmaker[Session], settings: Settings, *, batch_size: int = 200
) -> int:
    """Draft for every classified comment, one committed batch at a time; return how many."""
    total = 0
    while True:
        with session_scope(factory) as session:
            count = draft_batch(session, settings, batch_size)
        if not count:
            break
        total += count
        log.info("comments_drafted", count=count)
    return total
