"""Comment volumes per hour, remembered between dashboard views and kept exact.

Counting a month of comments by their current category costs a walk over every one of
them; between two views of the dashboard only a handful of comments arrive or are
reclassified. The counts of each UTC hour are kept with the newest comment id and
classification id they saw; on the next view, only the hours touched by newer comments
or newer classifications (a CM's correction of an old comment included) are counted
again. The current hour is always counted afresh.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoute.core.models import Classification, Comment

HourKey = tuple[str, str, str, str]  # hour 'YYYY-MM-DD HH', category, platform, language


@dataclass
class _Memory:
    comment_id: int = 0
    classification_id: int = 0
    hours: dict[str, Counter[HourKey]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_memories: dict[str, _Memory] = {}
_memories_lock = threading.Lock()


def _memory(session: Session) -> _Memory:
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    with _memories_lock:
        return _memories.setdefault(key, _Memory())


def _hour(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H")


def _touched_hours(session: Session, bucket: Any, memory: _Memory) -> set[str]:
    """Hours holding comments newer than what the memory saw, or comments whose
    classification changed since."""
    fresh = session.scalars(select(bucket).where(Comment.id > memory.comment_id).distinct()).all()
    reclassified = session.scalars(
        select(bucket)
        .join(Classification, Classification.comment_id == Comment.id)
        .where(Classification.id > memory.classification_id)
        .where(Comment.id <= memory.comment_id)
        .distinct()
    ).all()
    return set(fresh) | set(reclassified)


def hourly_volumes(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    bucket: Any,
    category: Any,
    now: datetime,
) -> list[tuple[str, str, str, str, int]]:
    """(hour, category, platform, language, count) for every comment in [start, end)."""
    memory = _memory(session)
    with memory.lock:
        high_comment = session.scalar(select(func.max(Comment.id))) or 0
        high_classification = session.scalar(select(func.max(Classification.id))) or 0
        if memory.hours:
            for hour in _touched_hours(session, bucket, memory):
                memory.hours.pop(hour, None)
        memory.comment_id, memory.classification_id = high_comment, high_classification
        current = _hour(now)
        wanted: list[str] = []
        cursor = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        while cursor < end:
            hour = _hour(cursor)
            if hour not in memory.hours or hour >= current:
                wanted.append(hour)
            cursor += timedelta(hours=1)
        if wanted:
            low = datetime.strptime(wanted[0], "%Y-%m-%d %H").replace(tzinfo=UTC)
            high = datetime.strptime(wanted[-1], "%Y-%m-%d %H").replace(tzinfo=UTC)
            language = func.coalesce(Comment.language, "?")
            rows = session.execute(
                select(bucket, category, Comment.platform, language, func.count())
                .where(Comment.created_at >= low, Comment.created_at < high + timedelta(hours=1))
                .where(Comment.id <= high_comment)
                .group_by(bucket, category, Comment.platform, language)
            ).all()
            recounted: dict[str, Counter[HourKey]] = {hour: Counter() for hour in wanted}
            for hour, cat, platform, lang, count in rows:
                if hour in recounted:
                    recounted[hour][(hour, cat, platform, lang)] += count
            memory.hours.update(recounted)
        result: list[tuple[str, str, str, str, int]] = []
        cursor = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        while cursor < end:
            for (hour, cat, platform, lang), count in memory.hours.get(_hour(cursor), {}).items():
                result.append((hour, cat, platform, lang, count))
            cursor += timedelta(hours=1)
        return result
