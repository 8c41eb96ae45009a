"""Reading what the review pages show: the queue in order of urgency, and one comment in
its thread with its author's history and everything the team did about it.

Every query here is bounded (a page of the queue, a window of the thread, the author's
latest comments) and follows an index, so the pages stay fast with millions of comments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ecoute.core.domain import Action, AlertStatus, Category, DraftStatus, Platform
from ecoute.core.models import (
    Alert,
    AuditEvent,
    CaseFollowUp,
    Classification,
    Comment,
    Draft,
    User,
)

PAGE_SIZE = 30
THREAD_WINDOW = 15
AUTHOR_HISTORY = 20

#: The queue's status filter: the words a CM uses, mapped to draft states.
STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "pending": (DraftStatus.PENDING,),
    "approved": (DraftStatus.APPROVED, DraftStatus.PUBLISHING),
    "published": (DraftStatus.PUBLISHED, DraftStatus.DONE),
    "rejected": (DraftStatus.REJECTED,),
    "failed": (DraftStatus.FAILED,),
}
CATEGORIES = tuple(c.value for c in Category)
PLATFORMS = tuple(p.value for p in Platform)


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """The queue's filters, read from the query string; unknown values are ignored."""

    category: str | None = None
    platform: str | None = None
    language: str | None = None
    status: str = "pending"
    assignee: str | None = None
    page: int = 1

    @classmethod
    def parse(cls, params: dict[str, str]) -> QueueFilters:
        def pick(name: str, allowed: tuple[str, ...] | None = None) -> str | None:
            value = (params.get(name) or "").strip()
            if not value or (allowed is not None and value not in allowed):
                return None
            return value

        language = pick("language")
        if language is not None and not (len(language) == 2 and language.isalpha()):
            language = None
        assignee = pick("assignee")
        if assignee is not None and assignee not in ("me", "none") and not assignee.isdigit():
            assignee = None
        try:
            page = max(1, min(int(params.get("page") or 1), 10_000))
        except ValueError:
            page = 1
        return cls(
            category=pick("category", CATEGORIES),
            platform=pick("platform", PLATFORMS),
            language=language,
            status=pick("status", tuple(STATUS_GROUPS)) or "pending",
            assignee=assignee,
            page=page,
        )

    def query_string(self, **overrides: Any) -> str:
        """These filters as a query string, with some values replaced (for links)."""
        from urllib.parse import urlencode

        values = {
            "category": self.category,
            "platform": self.platform,
            "language": self.language,
            "status": self.status if self.status != "pending" else None,
            "assignee": self.assignee,
            "page": self.page if self.page > 1 else None,
        }
        values.update(overrides)
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})


@dataclass(slots=True)
class QueuePage:
    drafts: list[Draft]
    total: int
    filters: QueueFilters
    users: dict[int, User] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def reach_of(comment: Comment) -> int:
    """How many people may see the comment: the author's audience and its engagement."""
    return comment.author_followers + comment.like_count + comment.reply_count + comment.share_count


def _filtered(query: Select[Any], filters: QueueFilters, user: User) -> Select[Any]:
    query = query.where(Draft.status.in_(STATUS_GROUPS[filters.status]))
    if filters.category:
        query = query.where(Draft.category == filters.category)
    if filters.platform:
        query = query.where(Comment.platform == filters.platform)
    if filters.language:
        query = query.where(Comment.language == filters.language)
    if filters.assignee == "me":
        query = query.where(Comment.assigned_to_id == user.id)
    elif filters.assignee == "none":
        query = query.where(Comment.assigned_to_id.is_(None))
    elif filters.assignee:
        query = query.where(Comment.assigned_to_id == int(filters.assignee))
    return query


def urgency_order() -> list[Any]:
    """Crisis first (escalated by a person, or a threat the responder escalated), then the
    nearest deadline (each category has its own), then the widest reach."""
    crisis = case(
        (or_(Comment.escalated_at.is_not(None), Draft.action == Action.ESCALATE), 0), else_=1
    )
    reach = Comment.author_followers + Comment.like_count + Comment.share_count
    return [crisis, Draft.due_at.is_(None), Draft.due_at, reach.desc(), Draft.id]


def queue_page(session: Session, filters: QueueFilters, user: User) -> QueuePage:
    base = select(Draft).join(Comment, Comment.id == Draft.comment_id)
    query = _filtered(base, filters, user)
    if filters.status == "pending":
        query = query.order_by(*urgency_order())
    else:
        query = query.order_by(Draft.id.desc())
    drafts = list(
        session.scalars(
            query.offset((filters.page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
            .options(selectinload(Draft.comment).selectinload(Comment.classifications))
        )
    )
    count_query = _filtered(
        select(func.count()).select_from(Draft).join(Comment, Comment.id == Draft.comment_id),
        filters,
        user,
    )
    if not any((filters.platform, filters.language, filters.assignee)):
        count_query = _filtered(select(func.count()).select_from(Draft), filters, user)
    total = session.scalar(count_query) or 0
    return QueuePage(drafts, total, filters, users=active_users(session))


def active_users(session: Session) -> dict[int, User]:
    return {u.id: u for u in session.scalars(select(User).order_by(User.display_name))}


@dataclass(slots=True)
class AuthorHistory:
    comments: list[Comment]
    total: int


@dataclass(slots=True)
class CommentPage:
    comment: Comment
    thread: list[Comment]
    parent: Comment | None
    history: AuthorHistory
    events: list[AuditEvent]
    followup: CaseFollowUp | None
    alerts: list[Alert]
    users: dict[int, User]


def _thread(session: Session, comment: Comment) -> list[Comment]:
    """The comments around this one in its thread, oldest first (ids follow arrival)."""
    if not comment.thread_id:
        return [comment]
    same = and_(Comment.platform == comment.platform, Comment.thread_id == comment.thread_id)
    before = session.scalars(
        select(Comment)
        .where(same, Comment.id < comment.id)
        .order_by(Comment.id.desc())
        .limit(THREAD_WINDOW)
    ).all()
    after = session.scalars(
        select(Comment)
        .where(same, Comment.id > comment.id)
        .order_by(Comment.id)
        .limit(THREAD_WINDOW)
    ).all()
    return [*reversed(before), comment, *after]


def _history(session: Session, comment: Comment) -> AuthorHistory:
    same = and_(Comment.platform == comment.platform, Comment.author_id == comment.author_id)
    rows = session.scalars(
        select(Comment)
        .where(same, Comment.id != comment.id)
        .order_by(Comment.id.desc())
        .limit(AUTHOR_HISTORY)
        .options(selectinload(Comment.classifications), selectinload(Comment.drafts))
    ).all()
    total = session.scalar(select(func.count()).select_from(Comment).where(same)) or 0
    return AuthorHistory(list(rows), total)


def comment_page(session: Session, comment_id: int) -> CommentPage | None:
    comment = session.scalars(
        select(Comment)
        .where(Comment.id == comment_id)
        .options(selectinload(Comment.classifications), selectinload(Comment.drafts))
    ).first()
    if comment is None:
        return None
    parent = None
    if comment.parent_external_id:
        parent = session.scalar(
            select(Comment).where(
                Comment.platform == comment.platform,
                Comment.external_id == comment.parent_external_id,
            )
        )
    draft_ids = [str(d.id) for d in comment.drafts]
    events = session.scalars(
        select(AuditEvent)
        .where(
            or_(
                and_(AuditEvent.entity_type == "comment", AuditEvent.entity_id == str(comment.id)),
                and_(AuditEvent.entity_type == "draft", AuditEvent.entity_id.in_(draft_ids)),
            )
        )
        .order_by(AuditEvent.id.desc())
        .limit(100)
    ).all()
    followup = session.scalar(select(CaseFollowUp).where(CaseFollowUp.comment_id == comment.id))
    alerts = session.scalars(
        select(Alert)
        .where(Alert.comment_id == comment.id, Alert.status != AlertStatus.RESOLVED)
        .order_by(Alert.id.desc())
    ).all()
    return CommentPage(
        comment=comment,
        thread=_thread(session, comment),
        parent=parent,
        history=_history(session, comment),
        events=list(events),
        followup=followup,
        alerts=list(alerts),
        users=active_users(session),
    )


def latest_classification(comment: Comment) -> Classification | None:
    return comment.classifications[-1] if comment.classifications else None
