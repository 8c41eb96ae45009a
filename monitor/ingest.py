"""Storing what the platforms return: each comment once, the cursor in the same commit.

The unique (platform, external_id) constraint does the deduplication inside the
database, so two workers, a retried page or a replayed feed can never store a
comment twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ecoute.core.domain import CommentStatus
from ecoute.core.models import Comment, Source, utcnow
from ecoute.platforms.base import IncomingComment


@dataclass(frozen=True, slots=True)
class IngestReport:
    received: int
    stored: int

    @property
    def duplicates(self) -> int:
        return self.received - self.stored


def _row(source: Source, platform: str, comment: IncomingComment) -> dict[str, Any]:
    return {
        "source_id": source.id,
        "platform": platform,
        "external_id": comment.external_id,
        "thread_id": comment.thread_id,
        "parent_external_id": comment.parent_external_id,
        "author_id": comment.author_id,
        "author_handle": comment.author_handle,
        "author_name": comment.author_name,
        "author_followers": comment.author_followers,
        "author_verified": comment.author_verified,
        "text": comment.text,
        "created_at": comment.created_at,
        "fetched_at": utcnow(),
        "permalink": comment.permalink,
        "like_count": comment.like_count,
        "reply_count": comment.reply_count,
        "share_count": comment.share_count,
        "raw": comment.raw,
        "status": CommentStatus.NEW,
    }


def _insert_ignoring_duplicates(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(Comment).on_conflict_do_nothing(
            index_elements=["platform", "external_id"]
        )
    if dialect == "sqlite":
        return sqlite.insert(Comment).on_conflict_do_nothing(
            index_elements=["platform", "external_id"]
        )
    return insert(Comment).prefix_with("IGNORE")


def store_comments(
    session: Session,
    source: Source,
    comments: list[IncomingComment],
    cursor: dict[str, Any] | None = None,
) -> IngestReport:
    """Store new comments and, in the same transaction, advance the source's cursor.

    The caller commits; until then neither the comments nor the cursor exist, which is
    what makes a crash at any point safe.
    """
    stored = 0
    if comments:
        unique: dict[tuple[str, str], dict[str, Any]] = {}
        for comment in comments:
            platform = str(comment.raw.get("platform") or source.platform)
            unique.setdefault((platform, comment.external_id), _row(source, platform, comment))
        result = session.execute(
            _insert_ignoring_duplicates(session).returning(Comment.id), list(unique.values())
        )
        stored = len(result.all())
    if cursor is not None:
        source.cursor = cursor
    return IngestReport(received=len(comments), stored=stored)
