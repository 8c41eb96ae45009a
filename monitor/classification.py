"""The classification step: every new comment gets a category, committed per batch.

A batch is read, classified and written in one transaction; a process killed in the
middle leaves those comments `new`, and the next run classifies them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ecoute.classifiers import Prediction
from ecoute.core.db import session_scope
from ecoute.core.domain import CommentStatus
from ecoute.core.models import Classification, Comment
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
    for comment, prediction in zip(comments, predictions, strict=True):
        classification = Classification(
            comment_id=comment.id,
            category=str(prediction.category),
            confidence=float(prediction.confidence),
            probabilities={key: float(value) for key, value in prediction.probabilities.items()},
            flags=[str(flag) for flag in prediction.flags],
            language=prediction.language,
            model_version=classifier.version,
        )
        session.add(classification)
        comment.language = prediction.language
        comment.status = CommentStatus.CLASSIFIED
        if settings is not None:
            check_comment(session, comment, classification, settings)
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
