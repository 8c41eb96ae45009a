"""The classification step: every new comment gets a category, committed per batch.

A batch is read, classified and written in one transaction; a process killed in the
middle leaves those comments `new`, and the next run classifies them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import structlog
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ecoute.classifiers import Prediction
from ecoute.core.db import session_scope
from ecoute.core.domain import CommentStatus
from ecoute.core.models import Classification, Comment, utcnow
from ecoute.core.settings import Settings
from ecoute.monitor.watch import check_comment

log = structlog.get_logger("ecoute.monitor.classification")


class BatchClassifier(Protocol):
    version: str

    def classify(self, texts: Sequence[str]) -> list[Prediction]: ...


def classify_batch(
    session: Session,
    classifier: BatchClassifier,
    batch_size: int,
    *,
    settings: Settings | None = None,
) -> int:
    """Classify up to `batch_size` new comments in the caller's transaction.

    With `settings`, the crisis watch's per-comment rules run on each comment in the
    same transaction, so an alert commits together with the classification behind it.
    Rows are written with one multi-row INSERT and one bulk UPDATE: at a few thousand
    comments a second, per-object flushes would cost more than the model.
    """
    comments = session.scalars(
        select(Comment)
        .where(Comment.status == CommentStatus.NEW)
        .order_by(Comment.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    if not comments:
        return 0
    predictions = classifier.classify([comment.text for comment in comments])
    now = utcnow()
    classifications: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    for comment, prediction in zip(comments, predictions, strict=True):
        category = str(prediction.category)
        flags = [str(flag) for flag in prediction.flags]
        classifications.append(
            {
                "comment_id": comment.id,
                "category": category,
                "confidence": float(prediction.confidence),
                "probabilities": {k: float(v) for k, v in prediction.probabilities.items()},
                "flags": flags,
                "language": prediction.language,
                "model_version": classifier.version,
                "origin": "model",
                "created_at": now,
            }
        )
        statuses.append(
            {"id": comment.id, "language": prediction.language, "status": CommentStatus.CLASSIFIED}
        )
        if settings is not None:
            check_comment(session, comment, category, flags, settings)
    session.execute(insert(Classification), classifications)
    session.execute(update(Comment), statuses)
    return len(comments)


def classify_pending(
    factory: sessionmaker[Session],
    classifier: BatchClassifier,
    *,
    batch_size: int = 200,
    settings: Settings | None = None,
) -> int:
    """Classify every new comment, one committed batch at a time; return how many."""
    total = 0
    while True:
        with session_scope(factory) as session:
            count = classify_batch(session, classifier, batch_size, settings=settings)
        if not count:
            break
        total += count
        log.info("comments_classified", count=count, model_version=classifier.version)
    return total
