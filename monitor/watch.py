"""Crisis watch: noticing a situation that runs away before the CM has to say so.

Per-comment rules (a threat, a danger keyword, a comment many people see) run inside
the classification transaction, so each comment is judged exactly once and the alert
commits with its classification. Rules over time (a spike of complaints and insults, a
reply past its deadline) run as scheduled jobs. A failing source is alerted by the
poller itself, at the moment the platform refuses the token.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoute.core.domain import Category, DraftStatus, Flag
from ecoute.core.models import Alert, Classification, Comment, Draft, Source, utcnow
from ecoute.core.settings import Settings
from ecoute.monitor.alerts import raise_alert

NEGATIVE = (Category.COMPLAINT, Category.INSULT)

DEFAULT_DANGER_KEYWORDS: dict[str, tuple[str, ...]] = {
    "fr": (
        "incendie",
        "brûlé",
        "fumée",
        "explosé",
        "électrocuté",
        "intoxication",
        "hôpital",
        "urgence vitale",
        "blessé",
        "avocat",
        "plainte",
        "procès",
        "tribunal",
        "huissier",
        "60 millions de consommateurs",
        "ufc-que choisir",
        "que choisir",
        "journaliste",
        "médias",
        "bfm",
        "arcep",
        "dgccrf",
        "mise en demeure",
    ),
    "en": (
        "fire",
        "burned",
        "smoke",
        "exploded",
        "electrocuted",
        "poisoning",
        "hospital",
        "injured",
        "lawyer",
        "attorney",
        "lawsuit",
        "sue you",
        "court",
        "journalist",
        "reporter",
        "the press",
        "bbb",
        "regulator",
        "class action",
    ),
}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=16)
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    words = sorted({_fold(word) for word in keywords if word.strip()}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(word) for word in words) + r")(?!\w)")


def danger_keywords(settings: Settings) -> tuple[str, ...]:
    """The configured danger keywords in every language, or the built-in lists."""
    configured = settings.crisis.keywords or DEFAULT_DANGER_KEYWORDS
    return tuple(word for words in configured.values() for word in words)


def matched_keywords(text: str, keywords: tuple[str, ...]) -> list[str]:
    if not keywords:
        return []
    return sorted(set(_keyword_pattern(keywords).findall(_fold(text))))


def _excerpt(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def check_comment(
    session: Session,
    comment: Comment,
    category: str,
    flags: Sequence[str],
    settings: Settings,
) -> list[Alert]:
    """The per-comment rules: threat, danger keyword, reach. Adds alerts to the session."""
    raised: list[Alert | None] = []
    cooldown = timedelta(minutes=settings.alerts.cooldown_minutes)
    who = f"{comment.author_handle} ({comment.platform})"
    flag_set = set(flags)
    if Flag.THREAT in flag_set:
        raised.append(
            raise_alert(
                session,
                kind="threat",
                dedup_key=f"threat:comment:{comment.id}",
                severity="critical",
                title=f"Menace / threat: {who}",
                detail=_excerpt(comment.text),
                source_id=comment.source_id,
                comment_id=comment.id,
                cooldown=cooldown,
            )
        )
    keywords = matched_keywords(comment.text, danger_keywords(settings))
    if keywords or Flag.DANGER in flag_set:
        raised.append(
            raise_alert(
                session,
                kind="danger",
                dedup_key=f"danger:comment:{comment.id}",
                severity="high",
                title=f"Mot sensible / danger term: {', '.join(keywords) or 'danger'} — {who}",
                detail=_excerpt(comment.text),
                source_id=comment.source_id,
                comment_id=comment.id,
                data={"keywords": keywords},
                cooldown=cooldown,
            )
        )
    if category in NEGATIVE:
        engagement = comment.like_count + comment.reply_count + comment.share_count
        viral = settings.crisis.viral
        if engagement >= viral.engagement or comment.author_followers >= viral.author_followers:
            raised.append(
                raise_alert(
                    session,
                    kind="viral",
                    dedup_key=f"viral:comment:{comment.id}",
                    severity="high",
                    title=(
                        f"Forte audience / wide reach: {who}, {engagement} interactions, "
                        f"{comment.author_followers} followers"
                    ),
                    detail=_excerpt(comment.text),
                    source_id=comment.source_id,
                    comment_id=comment.id,
                    cooldown=cooldown,
                    data={"engagement": engagement, "followers": comment.author_followers},
                )
            )
    return [alert for alert in raised if alert is not None]


def poisson_tail(count: int, mean: float) -> float:
    """P(X >= count) for X ~ Poisson(mean): how surprising this window is."""
    if count <= 0:
        return 1.0
    term = math.exp(-mean)
    below = term
    for k in range(1, count):
        term *= mean / k
        below += term
    return max(0.0, 1.0 - below)


@dataclass(frozen=True, slots=True)
class SpikeCheck:
    scope: str
    current: int
    baseline_mean: float
    p_value: float
    is_spike: bool


def evaluate_spike(
    current: int, baseline: Sequence[int], *, min_count: int, p_value: float
) -> tuple[float, float, bool]:
    """The baseline mean, the tail probability and the verdict for one window.

    A floor of 0.5 per window keeps a silent history from turning two messages into a
    crisis; `min_count` is the other guard.
    """
    mean = max(sum(baseline) / max(len(baseline), 1), 0.5)
    tail = poisson_tail(current, mean)
    return mean, tail, current >= min_count and tail < p_value


def check_spikes(
    session: Session, settings: Settings, *, now: datetime | None = None
) -> list[SpikeCheck]:
    """Compare complaints and insults in the last window with the windows before, per
    source and overall; raise an alert for each spike."""
    now = now or utcnow()
    spike = settings.crisis.spike
    width = timedelta(minutes=spike.window_minutes)
    start = now - width * (spike.baseline_windows + 1)
    latest = (
        select(Classification.comment_id, func.max(Classification.id).label("last_id"))
        .join(Comment, Comment.id == Classification.comment_id)
        .where(Comment.created_at >= start, Comment.created_at < now)
        .group_by(Classification.comment_id)
        .subquery()
    )
    rows = session.execute(
        select(Comment.id, Comment.source_id, Comment.created_at)
        .join(latest, latest.c.comment_id == Comment.id)
        .join(Classification, Classification.id == latest.c.last_id)
        .where(Classification.category.in_([str(c) for c in NEGATIVE]))
    ).all()
    buckets: dict[str, list[int]] = {"all": [0] * (spike.baseline_windows + 1)}
    recent: dict[str, list[int]] = {"all": []}
    for comment_id, source_id, created_at in rows:
        index = min(int((now - created_at) / width), spike.baseline_windows)
        for scope in ("all", f"source:{source_id}"):
            buckets.setdefault(scope, [0] * (spike.baseline_windows + 1))[index] += 1
            if index == 0:
                recent.setdefault(scope, []).append(comment_id)
    checks: list[SpikeCheck] = []
    cooldown = timedelta(minutes=settings.alerts.cooldown_minutes)
    names = dict(session.execute(select(Source.id, Source.name)).all())
    for scope, counts in sorted(buckets.items()):
        mean, tail, is_spike = evaluate_spike(
            counts[0], counts[1:], min_count=spike.min_count, p_value=spike.p_value
        )
        checks.append(SpikeCheck(scope, counts[0], mean, tail, is_spike))
        if not is_spike:
            continue
        label = (
            "toutes sources / all sources"
            if scope == "all"
            else names.get(int(scope.split(":")[1]), scope)
        )
        source_id = None if scope == "all" else int(scope.split(":")[1])
        raise_alert(
            session,
            kind="spike",
            dedup_key=f"spike:{scope}",
            severity="critical",
            title=(
                f"Pic de réclamations et d'insultes / spike of complaints and insults: "
                f"{label}, {counts[0]} in {spike.window_minutes} min"
            ),
            detail=(
                f"{counts[0]} complaints and insults in the last {spike.window_minutes} "
                f"minutes against {mean:.1f} per window before (p = {tail:.2g})."
            ),
            source_id=source_id,
            cooldown=cooldown,
            now=now,
            data={
                "current": counts[0],
                "baseline_mean": round(mean, 2),
                "p": tail,
                "comment_ids": recent.get(scope, [])[-10:],
            },
        )
    return checks


def check_deadlines(
    session: Session, settings: Settings, *, now: datetime | None = None
) -> list[Alert]:
    """A reply still waiting past its category's deadline goes to the supervisor."""
    now = now or utcnow()
    cooldown = timedelta(minutes=settings.alerts.cooldown_minutes)
    overdue = session.execute(
        select(Draft.id, Draft.category, Draft.due_at, Comment)
        .join(Comment, Comment.id == Draft.comment_id)
        .where(Draft.status == DraftStatus.PENDING, Draft.due_at < now)
        .order_by(Draft.due_at)
        .limit(500)
    ).all()
    raised = []
    for draft_id, category, due_at, comment in overdue:
        late = int((now - due_at).total_seconds() // 60)
        alert = raise_alert(
            session,
            kind="deadline",
            dedup_key=f"deadline:draft:{draft_id}",
            title=f"Délai dépassé / past deadline: {category} from {comment.author_handle}, "
            f"{late} min late",
            detail=_excerpt(comment.text),
            source_id=comment.source_id,
            comment_id=comment.id,
            data={"draft_id": draft_id, "minutes_late": late},
            cooldown=cooldown,
            now=now,
        )
        if alert is not None:
            raised.append(alert)
    return raised
