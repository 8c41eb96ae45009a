"""Reading reactions again: a complaint can spread hours after it was stored.

Pollers see a comment once, with the reactions it had then. For the complaints and
insults of the last `crisis.viral.watch_hours`, the platform is asked again every
`refresh_minutes` how many likes, replies and shares they have; one that crosses the
reach threshold, or gains reactions faster than `growth_per_hour`, raises a `viral`
alert (the same alert as at ingest, so a cause is only ever reported once).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ecoute.core.db import session_scope
from ecoute.core.models import Classification, Comment, Source, utcnow
from ecoute.core.settings import Settings
from ecoute.monitor.alerts import raise_alert
from ecoute.monitor.watch import NEGATIVE
from ecoute.platforms.base import Engagement, EngagementAware, PlatformError

log = structlog.get_logger("ecoute.monitor.engagement")

REFRESH_LIMIT = 200
# Below this many new reactions, a high hourly rate is noise (three likes in a minute).
MIN_GROWTH = 10


def engagement_due(
    factory: sessionmaker[Session], source_id: int, settings: Settings, now: datetime
) -> bool:
    with session_scope(factory) as session:
        last = session.scalar(select(Source.engagement_refreshed_at).where(Source.id == source_id))
    every = timedelta(minutes=settings.crisis.viral.refresh_minutes)
    return last is None or now - last >= every


def _watched(session: Session, source_id: int, since: datetime) -> list[Comment]:
    """The source's recent complaints and insults, most reacted-to first."""
    latest = (
        select(Classification.comment_id, func.max(Classification.id).label("last_id"))
        .join(Comment, Comment.id == Classification.comment_id)
        .where(Comment.source_id == source_id, Comment.created_at >= since)
        .group_by(Classification.comment_id)
        .subquery()
    )
    reactions = Comment.like_count + Comment.reply_count + Comment.share_count
    return list(
        session.scalars(
            select(Comment)
            .join(latest, latest.c.comment_id == Comment.id)
            .join(Classification, Classification.id == latest.c.last_id)
            .where(Classification.category.in_([str(c) for c in NEGATIVE]))
            .order_by(reactions.desc(), Comment.id.desc())
            .limit(REFRESH_LIMIT)
        )
    )


def refresh_engagement(
    factory: sessionmaker[Session],
    source_id: int,
    adapter: EngagementAware,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> list[int]:
    """Read the reactions again and alert on fast growth; return the alerted comment ids."""
    now = now or utcnow()
    viral = settings.crisis.viral
    with session_scope(factory) as session:
        ids = [
            c.external_id
            for c in _watched(session, source_id, now - timedelta(hours=viral.watch_hours))
        ]
    counts: dict[str, Engagement] = {}
    if ids:
        try:
            counts = adapter.engagement(ids)
        except PlatformError as exc:
            log.warning("engagement_not_refreshed", source_id=source_id, error=str(exc))
            return []
    alerted: list[int] = []
    cooldown = timedelta(minutes=settings.alerts.cooldown_minutes)
    with session_scope(factory) as session:
        comments = (
            session.scalars(
                select(Comment).where(
                    Comment.source_id == source_id, Comment.external_id.in_(list(counts))
                )
            )
            if counts
            else []
        )
        for comment in comments:
            current = counts[comment.external_id]
            before = comment.like_count + comment.reply_count + comment.share_count
            since = comment.engagement_checked_at or comment.fetched_at
            hours = max((now - since).total_seconds() / 3600, 1 / 60)
            growth = current.total - before
            per_hour = growth / hours
            comment.like_count, comment.reply_count = current.likes, current.replies
            comment.share_count = current.shares
            comment.engagement_checked_at = now
            fast = growth >= MIN_GROWTH and per_hour >= viral.growth_per_hour
            if not fast and current.total < viral.engagement:
                continue
            who = f"{comment.author_handle} ({comment.platform})"
            alert = raise_alert(
                session,
                kind="viral",
                dedup_key=f"viral:comment:{comment.id}",
                severity="high",
                title=(
                    f"Réactions en forte hausse / reactions climbing fast: {who}, "
                    f"+{growth} in {hours * 60:.0f} min, {current.total} in all"
                ),
                detail=" ".join(comment.text.split())[:280],
                source_id=source_id,
                comment_id=comment.id,
                cooldown=cooldown,
                now=now,
                data={
                    "engagement": current.total,
                    "growth": growth,
                    "per_hour": round(per_hour, 1),
                },
            )
            if alert is not None:
                alerted.append(comment.id)
        source = session.get_one(Source, source_id)
        source.engagement_refreshed_at = now
    log.info(
        "engagement_refreshed", source_id=source_id, comments=len(counts), alerted=len(alerted)
    )
    return alerted
