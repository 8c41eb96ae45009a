"""What the incidents pages read: each incident with how far it reached, its brand-feed
posts and the complaints it explained.

Writing (declaring, resolving) belongs to `responders.incident_service`; this module only
gathers figures, in one grouped query for the list so that a long history stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ecoute.core.models import Comment, Incident, IncidentComment, IncidentPost
from ecoute.responders.incident_service import ACTIVE

#: Past incidents shown on the list; older ones stay in the audit log.
PAST_SHOWN = 50
#: Complaints listed on one incident's page, newest first.
COMPLAINTS_SHOWN = 200
POST_ORDER = {"declared": 0, "resolved": 1}


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """An incident with the complaints it explained and how many people could see them."""

    incident: Incident
    matched: int
    reach: int


def _rows(session: Session, *conditions: object, limit: int | None = None) -> list[IncidentRow]:
    audience = (
        Comment.author_followers + Comment.like_count + Comment.reply_count + Comment.share_count
    )
    query = (
        select(
            Incident,
            func.count(IncidentComment.id),
            func.coalesce(func.sum(case((Comment.id.is_not(None), audience), else_=0)), 0),
        )
        .outerjoin(IncidentComment, IncidentComment.incident_id == Incident.id)
        .outerjoin(Comment, Comment.id == IncidentComment.comment_id)
        .where(*conditions)
        .group_by(Incident.id)
        .order_by(Incident.declared_at.desc(), Incident.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        IncidentRow(incident, int(matched or 0), int(reach or 0))
        for incident, matched, reach in session.execute(query).all()
    ]


def active_rows(session: Session) -> list[IncidentRow]:
    return _rows(session, Incident.status == ACTIVE)


def past_rows(session: Session) -> list[IncidentRow]:
    return _rows(session, Incident.status != ACTIVE, limit=PAST_SHOWN)


def incident_row(session: Session, incident_id: int) -> IncidentRow | None:
    rows = _rows(session, Incident.id == incident_id)
    return rows[0] if rows else None


def posts_of(session: Session, incident_id: int) -> list[IncidentPost]:
    """The information posts, the "declared" ones first, then by platform and language."""
    posts = session.scalars(
        select(IncidentPost).where(IncidentPost.incident_id == incident_id)
    ).all()
    return sorted(posts, key=lambda p: (POST_ORDER.get(p.kind, 9), p.platform, p.language, p.id))


def complaints_of(session: Session, incident_id: int) -> Sequence[Comment]:
    return session.scalars(
        select(Comment)
        .join(IncidentComment, IncidentComment.comment_id == Comment.id)
        .where(IncidentComment.incident_id == incident_id)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(COMPLAINTS_SHOWN)
    ).all()
