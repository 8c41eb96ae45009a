"""The drafting step: every classified comment gets a decision and, when due, a draft.

Like classification it works in committed batches and keeps its state in the comment's
status, so a killed process leaves nothing half-drafted: the batch is simply drafted
again by the next run. Before writing, the batch learns what its threads already hold
(replies drafted earlier, variants used today) so that nobody in a thread gets the same
words, and which incidents are active so that matching complaints name them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, insert, select, tuple_, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from ecoute.core.db import session_scope
from ecoute.core.domain import Action, CommentStatus, DraftStatus
from ecoute.core.models import Classification, Comment, Draft, IncidentComment, utcnow
from ecoute.core.settings import Settings

from .drafting import ClassificationView, CommentView, Drafter
from .incident_service import active_incident_views
from .variants import VariantPicker

log = structlog.get_logger("ecoute.responders.flows")

_drafters: dict[int, tuple[Settings, Drafter]] = {}
# How many of the newest replies in the batch's threads are remembered: enough to keep
# a viral thread's replies varied without reading all of it for every batch.
THREAD_MEMORY = 500


def drafter_for(settings: Settings) -> Drafter:
    """One drafter per configuration object: templates and knowledge are loaded once."""
    cached = _drafters.get(id(settings))
    if cached is None or cached[0] is not settings:
        cached = (settings, Drafter(settings))
        _drafters[id(settings)] = cached
    return cached[1]


def comment_view(comment: Comment) -> CommentView:
    return CommentView(
        text=comment.text,
        platform=comment.platform,
        author_handle=comment.author_handle,
        author_name=comment.author_name,
        thread_id=comment.thread_id,
        external_id=comment.external_id,
    )


def classification_view(classification: Classification, language: str | None) -> ClassificationView:
    """What the drafter needs of a stored classification, in the comment's language."""
    return ClassificationView(
        category=classification.category,
        language=language,
        flags=tuple(classification.flags or ()),
        probabilities=classification.probabilities or {},
    )


def thread_memory(session: Session, comments: list[Comment]) -> VariantPicker:
    """What the batch's threads already hold, and which variants were used today."""
    picker = VariantPicker()
    threads = {(c.platform, c.thread_id) for c in comments if c.thread_id}
    if threads:
        rows = session.execute(
            select(Comment.platform, Comment.thread_id, Draft.template, Draft.text)
            .join(Draft, Draft.comment_id == Comment.id)
            .where(tuple_(Comment.platform, Comment.thread_id).in_(list(threads)))
            .where(Draft.text.is_not(None))
            .order_by(Draft.id.desc())
            .limit(THREAD_MEMORY)
        ).all()
        for platform, thread_id, template, text in rows:
            picker.remember(f"{platform}:{thread_id}", template, text, today=False)
    since = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for template, count in session.execute(
        select(Draft.template, func.count())
        .where(Draft.created_at >= since, Draft.template.is_not(None))
        .group_by(Draft.template)
    ).all():
        picker.count_today(template, count)
    return picker


def draft_batch(session: Session, settings: Settings, batch_size: int) -> int:
    """Decide and draft for up to `batch_size` classified comments in the caller's transaction."""
    comments = list(
        session.scalars(
            select(Comment)
            .where(Comment.status == CommentStatus.CLASSIFIED)
            .order_by(Comment.id)
            .limit(batch_size)
            .options(selectinload(Comment.classifications))
            .with_for_update(skip_locked=True)
        ).all()
    )
    if not comments:
        return 0
    drafter = drafter_for(settings)
    drafter.refresh()
    picker = thread_memory(session, comments)
    incidents = active_incident_views(session=session)
    now = utcnow()
    drafts: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    for comment in comments:
        latest = comment.classifications[-1]
        outcome = drafter.draft(
            comment_view(comment),
            classification_view(latest, comment.language),
            incidents=incidents,
            picker=picker,
        )
        decision = outcome.decision
        needs_person = comment.language not in settings.brand.languages
        if decision.action == Action.NONE and not needs_person:
            statuses.append({"id": comment.id, "status": CommentStatus.NO_ACTION})
            log.debug("comment_no_action", comment_id=comment.id, reason=decision.reason)
            continue
        findings = [finding.as_dict() for finding in outcome.findings]
        if needs_person:
            findings.append({"name": "language_not_answered", "severity": "advice"})
        deadline = timedelta(minutes=settings.deadlines.minutes_for(decision.category))
        drafts.append(
            {
                "comment_id": comment.id,
                "action": str(decision.action),
                "category": str(decision.category),
                "language": comment.language,
                "text": outcome.text,
                "original_text": outcome.text,
                "template": outcome.template,
                "findings": findings,
                "status": DraftStatus.PENDING,
                "due_at": comment.created_at + deadline,
                "created_at": now,
                "attempts": 0,
            }
        )
        if decision.incident is not None:
            links.append({"incident_id": decision.incident.id, "comment_id": comment.id})
        statuses.append({"id": comment.id, "status": CommentStatus.QUEUED})
    # One multi-row INSERT per table and one bulk UPDATE: per-object flushes would cost
    # more than the drafting itself.
    if drafts:
        session.execute(insert(Draft), drafts)
    if links:
        session.execute(insert(IncidentComment), links)
    session.execute(update(Comment), statuses)
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
