"""The follow-up figures the craft asks for: how many complaints, of what kind, where,
answered how fast against the deadlines, closed how well, and who did the work.

Times are stored in UTC and reported in the brand's time zone: the database groups by
UTC hour (an index range scan over the period) and the hours are folded into local
days here, so a day means the brand's day even across a daylight-saving change.
Aggregates are computed by the database; only grouped rows come back to Python.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Float, and_, case, cast, func, select
from sqlalchemy.orm import Session

from ecoute.console.volume_cache import hourly_volumes
from ecoute.core.domain import Action, AlertStatus, Category, DraftStatus
from ecoute.core.models import (
    Alert,
    CaseFollowUp,
    Classification,
    Comment,
    Draft,
    User,
)
from ecoute.core.settings import Settings
from ecoute.responders.lexicon import load_lexicon
from ecoute.responders.text import fold

PERIODS = (7, 30, 90)
TOPIC_SAMPLE = 1000
TOPIC_COUNT = 12
_WORD = re.compile(r"[a-z][a-z'’-]{3,}")


@dataclass(frozen=True, slots=True)
class Period:
    """Whole local days ending with today, as UTC bounds for the queries."""

    start: datetime
    end: datetime
    days: int
    zone: ZoneInfo

    @classmethod
    def ending(cls, now: datetime, days: int, zone: ZoneInfo) -> Period:
        today = now.astimezone(zone).date()
        end_local = datetime.combine(today + timedelta(days=1), time(), zone)
        start_local = datetime.combine(today - timedelta(days=days - 1), time(), zone)
        return cls(start_local.astimezone(UTC), end_local.astimezone(UTC), days, zone)

    def previous(self) -> Period:
        length = self.end - self.start
        return Period(self.start - length, self.start, self.days, self.zone)

    def local_days(self) -> list[date]:
        first = self.start.astimezone(self.zone).date()
        return [first + timedelta(days=i) for i in range(self.days)]


def _hour_bucket(session: Session, column: Any) -> ColumnElement[str]:
    """'YYYY-MM-DD HH' of a UTC timestamp, on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")
    return func.substr(column, 1, 13)


def _minutes_between(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 60.0
    return (func.julianday(later) - func.julianday(earlier)) * 1440.0


def _local_day(bucket: str, zone: ZoneInfo) -> date:
    instant = datetime.strptime(bucket, "%Y-%m-%d %H").replace(tzinfo=UTC)
    return instant.astimezone(zone).date()


@dataclass(slots=True)
class Volumes:
    """Comments per local day, by category, platform and language."""

    days: list[date]
    by_category: dict[str, list[int]]
    by_platform: dict[str, list[int]]
    by_language: dict[str, list[int]]
    rows: list[tuple[date, str, str, str, int]]

    @property
    def total(self) -> int:
        return sum(sum(series) for series in self.by_category.values())

    def totals(self, series: dict[str, list[int]]) -> dict[str, int]:
        return {key: sum(values) for key, values in series.items()}


def latest_category() -> Any:
    """The comment's current category: the newest classification, a CM's one included
    (one step down the classifications' comment index per comment)."""
    return (
        select(Classification.category)
        .where(Classification.comment_id == Comment.id)
        .order_by(Classification.id.desc())
        .limit(1)
        .correlate(Comment)
        .scalar_subquery()
    )


def volumes(session: Session, period: Period, now: datetime | None = None) -> Volumes:
    rows = hourly_volumes(
        session,
        period.start,
        period.end,
        bucket=_hour_bucket(session, Comment.created_at),
        category=func.coalesce(latest_category(), "unclassified"),
        now=now or datetime.now(UTC),
    )
    days = period.local_days()
    index = {day: i for i, day in enumerate(days)}
    per_day: Counter[tuple[date, str, str, str]] = Counter()
    for hour, cat, platform, language, count in rows:
        per_day[(_local_day(hour, period.zone), cat, platform, language)] += count
    by_category: dict[str, list[int]] = {c.value: [0] * len(days) for c in Category}
    by_platform: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    by_language: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    for (day, cat, platform, language), count in per_day.items():
        i = index.get(day)
        if i is None:
            continue
        by_category.setdefault(cat, [0] * len(days))[i] += count
        by_platform[platform][i] += count
        by_language[language][i] += count
    rows = sorted((day, c, p, lang, n) for (day, c, p, lang), n in per_day.items())
    return Volumes(days, by_category, dict(by_platform), dict(by_language), rows)


@dataclass(slots=True)
class Timing:
    """First response against the category's deadline."""

    category: str
    deadline_min: int
    answered: int = 0
    on_time: int = 0
    mean_min: float | None = None
    waiting: int = 0
    overdue: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.answered if self.answered else None


def response_times(
    session: Session, settings: Settings, period: Period, now: datetime
) -> list[Timing]:
    """For drafts written in the period: published replies (how fast, on time or not),
    and what still waits (and how much of it is already late)."""
    minutes = _minutes_between(session, Draft.published_at, Comment.created_at)
    on_time = func.sum(case((Draft.published_at <= Draft.due_at, 1), else_=0))
    in_period = and_(Draft.created_at >= period.start, Draft.created_at < period.end)
    answered = session.execute(
        select(Draft.category, func.count(), on_time, func.avg(cast(minutes, Float)))
        .join(Comment, Comment.id == Draft.comment_id)
        .where(in_period, Draft.status == DraftStatus.PUBLISHED, Draft.action == Action.REPLY)
        .group_by(Draft.category)
    ).all()
    waiting = session.execute(
        select(Draft.category, func.count(), func.sum(case((Draft.due_at < now, 1), else_=0)))
        .where(Draft.status == DraftStatus.PENDING)
        .group_by(Draft.category)
    ).all()
    timings = {c.value: Timing(c.value, settings.deadlines.minutes_for(c)) for c in Category}
    for category, count, punctual, mean in answered:
        timing = timings.get(category)
        if timing is not None:
            timing.answered, timing.on_time = count, int(punctual or 0)
            timing.mean_min = float(mean) if mean is not None else None
    for category, count, late in waiting:
        timing = timings.get(category)
        if timing is not None:
            timing.waiting, timing.overdue = count, int(late or 0)
    return list(timings.values())


@dataclass(slots=True)
class Resolution:
    resolved: int
    mean_hours: float | None
    scored: int
    mean_score: float | None
    distribution: dict[int, int]
    by_category: dict[str, tuple[int, float | None]]


def resolutions(session: Session, period: Period) -> Resolution:
    """Cases closed in the period: how long they took and how the customers rated it."""
    hours = _minutes_between(session, CaseFollowUp.resolved_at, Comment.created_at) / 60.0
    in_period = and_(
        CaseFollowUp.resolved_at >= period.start, CaseFollowUp.resolved_at < period.end
    )
    resolved, mean_hours = session.execute(
        select(func.count(), func.avg(cast(hours, Float)))
        .select_from(CaseFollowUp)
        .join(Comment, Comment.id == CaseFollowUp.comment_id)
        .where(in_period)
    ).one()
    distribution = dict(
        session.execute(
            select(CaseFollowUp.score, func.count())
            .where(in_period, CaseFollowUp.score.is_not(None))
            .group_by(CaseFollowUp.score)
        ).all()
    )
    category = func.coalesce(latest_category(), "unclassified")
    by_category = {
        cat: (count, float(mean) if mean is not None else None)
        for cat, count, mean in session.execute(
            select(category, func.count(), func.avg(CaseFollowUp.score))
            .select_from(CaseFollowUp)
            .join(Comment, Comment.id == CaseFollowUp.comment_id)
            .where(in_period, CaseFollowUp.score.is_not(None))
            .group_by(category)
        )
    }
    scored = sum(distribution.values())
    mean_score = sum(score * n for score, n in distribution.items()) / scored if scored else None
    return Resolution(
        resolved=resolved or 0,
        mean_hours=float(mean_hours) if mean_hours is not None else None,
        scored=scored,
        mean_score=mean_score,
        distribution={score: distribution.get(score, 0) for score in range(1, 6)},
        by_category=by_category,
    )


@dataclass(slots=True)
class PersonFigures:
    user_id: int
    name: str
    approved: int = 0
    rejected: int = 0
    edited: int = 0
    mean_review_min: float | None = None
    resolved: int = 0
    mean_score: float | None = None


def per_person(session: Session, period: Period) -> list[PersonFigures]:
    """Decisions taken by each person in the period, and how their closed cases were rated."""
    in_period = and_(Draft.reviewed_at >= period.start, Draft.reviewed_at < period.end)
    minutes = _minutes_between(session, Draft.reviewed_at, Draft.created_at)
    decided = (
        Draft.status.in_((DraftStatus.APPROVED, DraftStatus.PUBLISHING, DraftStatus.PUBLISHED,
                          DraftStatus.DONE, DraftStatus.FAILED))
    )  # fmt: skip
    rows = session.execute(
        select(
            Draft.reviewed_by_id,
            func.sum(case((decided, 1), else_=0)),
            func.sum(case((Draft.status == DraftStatus.REJECTED, 1), else_=0)),
            func.sum(case((Draft.edited_by_id == Draft.reviewed_by_id, 1), else_=0)),
            func.avg(cast(minutes, Float)),
        )
        .where(in_period, Draft.reviewed_by_id.is_not(None))
        .group_by(Draft.reviewed_by_id)
    ).all()
    names = dict(session.execute(select(User.id, User.display_name)).all())
    people: dict[int, PersonFigures] = {}
    for user_id, approved, rejected, edited, mean in rows:
        people[user_id] = PersonFigures(
            user_id,
            names.get(user_id, str(user_id)),
            int(approved or 0),
            int(rejected or 0),
            int(edited or 0),
            float(mean) if mean is not None else None,
        )
    closed = session.execute(
        select(CaseFollowUp.resolved_by_id, func.count(), func.avg(CaseFollowUp.score))
        .where(CaseFollowUp.resolved_at >= period.start, CaseFollowUp.resolved_at < period.end)
        .where(CaseFollowUp.resolved_by_id.is_not(None))
        .group_by(CaseFollowUp.resolved_by_id)
    ).all()
    for user_id, count, mean_score in closed:
        person = people.setdefault(user_id, PersonFigures(user_id, names.get(user_id, "?")))
        person.resolved = count
        person.mean_score = float(mean_score) if mean_score is not None else None
    return sorted(people.values(), key=lambda p: (-(p.approved + p.rejected), p.name))


def recurring_topics(session: Session, settings: Settings, period: Period) -> list[tuple[str, int]]:
    """The words that keep coming back in the latest complaints: where prevention pays.

    A sample of the newest complaints is enough to see what recurs; function words of the
    brand's languages and the brand's own name are left out.
    """
    texts = session.scalars(
        select(Comment.text)
        .join(Draft, Draft.comment_id == Comment.id)
        .where(Draft.category == Category.COMPLAINT, Draft.action != Action.PRIVATE_REPLY)
        .where(Draft.created_at >= period.start, Draft.created_at < period.end)
        .order_by(Draft.created_at.desc())
        .limit(TOPIC_SAMPLE)
    ).all()
    ignored: set[str] = {fold(settings.brand.name)}
    for code in settings.brand.languages:
        ignored |= {fold(w) for w in load_lexicon(code, settings).function_words}
    counts: Counter[str] = Counter()
    for text in texts:
        words = {w.strip("'’-") for w in _WORD.findall(fold(text))}
        counts.update(w for w in words if w not in ignored and not w.startswith("http"))
    return [(word, n) for word, n in counts.most_common(TOPIC_COUNT) if n > 1]


def alert_counts(session: Session, period: Period) -> dict[str, int]:
    rows = session.execute(
        select(Alert.kind, func.count())
        .where(Alert.created_at >= period.start, Alert.created_at < period.end)
        .group_by(Alert.kind)
    ).all()
    counts = dict(rows)
    counts["open_now"] = (
        session.scalar(
            select(func.count()).select_from(Alert).where(Alert.status != AlertStatus.RESOLVED)
        )
        or 0
    )
    return counts


@dataclass(slots=True)
class Dashboard:
    period: Period
    volumes: Volumes
    timings: list[Timing]
    resolution: Resolution
    people: list[PersonFigures]
    topics: list[tuple[str, int]]
    alerts: dict[str, int]
    previous_total: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def chart_data(self) -> dict[str, Any]:
        """What the charts draw, as plain JSON (the page embeds it as data, not code)."""
        return {
            "days": [day.isoformat() for day in self.volumes.days],
            "category": self.volumes.by_category,
            "platform": self.volumes.by_platform,
            "language": self.volumes.by_language,
            "satisfaction": self.resolution.distribution,
            "on_time": {
                t.category: round(100 * t.on_time_rate, 1) if t.on_time_rate is not None else None
                for t in self.timings
            },
        }


def dashboard(
    session: Session, settings: Settings, *, days: int, now: datetime, compare: bool = False
) -> Dashboard:
    zone = ZoneInfo(settings.brand.timezone)
    period = Period.ending(now, days, zone)
    report = Dashboard(
        period=period,
        volumes=volumes(session, period, now),
        timings=response_times(session, settings, period, now),
        resolution=resolutions(session, period),
        people=per_person(session, period),
        topics=recurring_topics(session, settings, period),
        alerts=alert_counts(session, period),
    )
    if compare:
        previous = period.previous()
        report.previous_total = (
            session.scalar(
                select(func.count())
                .select_from(Comment)
                .where(Comment.created_at >= previous.start, Comment.created_at < previous.end)
            )
            or 0
        )
    return report


def volumes_csv(report: Dashboard) -> str:
    """Daily volumes by category, platform and language, for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["day", "category", "platform", "language", "comments"])
    for day, category, platform, language, count in report.volumes.rows:
        writer.writerow([day.isoformat(), category, platform, language, count])
    out.write("\n")
    writer.writerow(
        ["category", "deadline_min", "answered", "on_time", "mean_first_response_min",
         "waiting", "overdue"]
    )  # fmt: skip
    for t in report.timings:
        mean = f"{t.mean_min:.1f}" if t.mean_min is not None else ""
        writer.writerow(
            [t.category, t.deadline_min, t.answered, t.on_time, mean, t.waiting, t.overdue]
        )
    return out.getvalue()
