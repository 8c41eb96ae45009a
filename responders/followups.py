"""Closing the loop: a resolved case gets a follow-up, and the answer becomes a score.

Craft rule 5: once a complaint is solved, ask the person how they found the way it was
handled. Marking a case resolved drafts that question (a private message: the case has
moved to a private channel by then) for a person to approve; the 1-to-5 answer is stored
— typed by the CM, or read from the customer's reply — and reported next to the other
figures, per category, language and platform.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoute.core.audit import record
from ecoute.core.domain import Action, CommentStatus
from ecoute.core.models import CaseFollowUp, Comment, Draft, User, utcnow
from ecoute.core.settings import Settings

SCORES = range(1, 6)
_SCORE = re.compile(r"(?<![\d,.])([1-5])(?:\s*(?:/|sur|out of|on)\s*5)?(?![\d,.]*\d)", re.I)
_WORDS = {
    "deux": 2, "two": 2, "trois": 3, "three": 3,
    "quatre": 4, "four": 4, "cinq": 5, "five": 5,
}  # fmt: skip


class FollowUpError(Exception):
    """The case cannot be closed or scored as asked; the message says what to do."""


def resolve_case(
    *,
    session: Session,
    settings: Settings,
    comment_id: int,
    resolved_by: User | None = None,
    note: str | None = None,
) -> CaseFollowUp:
    """Mark a case resolved and draft the satisfaction follow-up (pending approval).

    Resolving twice is refused rather than drafting a second question to the customer.
    """
    from .flows import comment_view, drafter_for
    from .policy import FOLLOWUP

    comment = session.get(Comment, comment_id)
    if comment is None:
        raise FollowUpError(f"comment {comment_id} does not exist; reload the queue")
    existing = session.scalar(select(CaseFollowUp).where(CaseFollowUp.comment_id == comment_id))
    if existing is not None:
        raise FollowUpError(f"the case of comment {comment_id} is already resolved")
    language = comment.language if comment.language in settings.brand.languages else None
    language = language or settings.brand.default_language
    category = _case_category(comment)
    rendered = drafter_for(settings).write(
        FOLLOWUP,
        comment_view(comment),
        language=language,
        category=category,
        action=Action.PRIVATE_REPLY,
    )
    draft = Draft(
        comment_id=comment.id,
        action=Action.PRIVATE_REPLY,
        category=category,
        language=language,
        text=rendered.text,
        original_text=rendered.text,
        template=rendered.template,
        findings=[finding.as_dict() for finding in rendered.findings],
        due_at=utcnow() + timedelta(minutes=settings.deadlines.minutes_for(category)),
    )
    session.add(draft)
    session.flush()
    followup = CaseFollowUp(
        comment_id=comment.id,
        draft_id=draft.id,
        resolved_at=utcnow(),
        resolved_by_id=resolved_by.id if resolved_by else None,
        note=(note or "").strip() or None,
    )
    session.add(followup)
    before = comment.status
    comment.status = CommentStatus.RESOLVED
    session.flush()
    record(
        session,
        actor=resolved_by,
        action="case.resolve",
        entity_type="comment",
        entity_id=comment.id,
        before={"status": before},
        after={"status": CommentStatus.RESOLVED, "followup_draft_id": draft.id},
    )
    return followup


def _case_category(comment: Comment) -> str:
    drafts = [d for d in comment.drafts if d.action != Action.PRIVATE_REPLY]
    if drafts:
        return drafts[-1].category
    if comment.classifications:
        return comment.classifications[-1].category
    return "complaint"


def parse_score(text: str) -> int | None:
    """The 1-to-5 score in a customer's answer ("4", "4/5", "cinq", "I'd say 3 out of 5"),
    or None when there is none or more than one candidate."""
    found = {int(m.group(1)) for m in _SCORE.finditer(text)}
    found |= {_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _WORDS}
    return found.pop() if len(found) == 1 else None


def record_satisfaction(
    *,
    session: Session,
    comment_id: int,
    score: int,
    recorded_by: User | None = None,
    origin: str = "cm",
) -> CaseFollowUp:
    """Store how the person found the handling (1 to 5); a later answer replaces it."""
    if score not in SCORES:
        raise FollowUpError(f"a satisfaction score is a whole number from 1 to 5, not {score!r}")
    followup = session.scalar(select(CaseFollowUp).where(CaseFollowUp.comment_id == comment_id))
    if followup is None:
        raise FollowUpError(
            f"the case of comment {comment_id} is not resolved yet; resolve it first"
        )
    before = {"score": followup.score}
    followup.score = score
    followup.score_origin = origin
    followup.scored_at = utcnow()
    followup.scored_by_id = recorded_by.id if recorded_by else None
    record(
        session,
        actor=recorded_by,
        action="case.satisfaction",
        entity_type="comment",
        entity_id=comment_id,
        before=before,
        after={"score": score, "origin": origin},
    )
    return followup


def record_satisfaction_reply(
    *, session: Session, comment_id: int, reply_text: str
) -> CaseFollowUp | None:
    """Read the score from the customer's answer; None (nothing stored) when unclear."""
    score = parse_score(reply_text)
    if score is None:
        return None
    return record_satisfaction(
        session=session, comment_id=comment_id, score=score, origin="customer"
    )


@dataclass(slots=True)
class ScoreGroup:
    count: int = 0
    total: int = 0

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None


@dataclass(slots=True)
class SatisfactionReport:
    """The satisfaction barometer: how many cases closed, how many answered, how well."""

    resolved: int = 0
    scored: int = 0
    distribution: Counter[int] = field(default_factory=Counter)
    by_category: dict[str, ScoreGroup] = field(default_factory=lambda: defaultdict(ScoreGroup))
    by_language: dict[str, ScoreGroup] = field(default_factory=lambda: defaultdict(ScoreGroup))
    by_platform: dict[str, ScoreGroup] = field(default_factory=lambda: defaultdict(ScoreGroup))

    @property
    def mean(self) -> float | None:
        total = sum(score * n for score, n in self.distribution.items())
        return total / self.scored if self.scored else None

    @property
    def response_rate(self) -> float | None:
        return self.scored / self.resolved if self.resolved else None


def satisfaction_report(
    *, session: Session, since: datetime | None = None, until: datetime | None = None
) -> SatisfactionReport:
    """Scores of the cases resolved in [since, until), grouped for the barometer."""
    query = select(CaseFollowUp, Comment).join(Comment, Comment.id == CaseFollowUp.comment_id)
    if since is not None:
        query = query.where(CaseFollowUp.resolved_at >= since)
    if until is not None:
        query = query.where(CaseFollowUp.resolved_at < until)
    report = SatisfactionReport()
    for followup, comment in session.execute(query).all():
        report.resolved += 1
        if followup.score is None:
            continue
        report.scored += 1
        report.distribution[followup.score] += 1
        category = _case_category(comment)
        for groups, key in (
            (report.by_category, category),
            (report.by_language, comment.language or "?"),
            (report.by_platform, comment.platform),
        ):
            groups[key].count += 1
            groups[key].total += followup.score
    return report
