"""The demo feed through ingest, the shipped classifier and the responder, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from ecoute.console.service import Service, open_database
from ecoute.core.db import session_scope
from ecoute.core.domain import Action, CommentStatus, DraftStatus
from ecoute.core.models import Classification, Comment, Draft
from ecoute.monitor.polling import poll_source
from ecoute.platforms.replay import ReplayAdapter, load_feed
from tests.conftest import make_settings


def test_demo_feed_through_the_pipeline(tmp_path: Path, database_url: str, classifier) -> None:
    settings = make_settings(tmp_path, database_url)
    _engine, factory = open_database(settings, migrate=True)
    service = Service.build(settings, factory)
    service.classifier = classifier
    (source_id,) = service.adapters
    start = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    feed = load_feed()
    clock = [start]
    service.clock = lambda: clock[0]
    service.adapters[source_id] = ReplayAdapter(clock=lambda: clock[0])
    service.poll(source_id)  # the replay starts: nothing is due yet
    clock[0] = start + timedelta(seconds=feed[-1].offset_s + 1)
    service.poll(source_id)
    classified, drafted = service.process()
    assert classified == drafted == len(feed)
    assert service.process() == (0, 0), "a second run finds nothing left to do"
    clock[0] += timedelta(minutes=5)
    assert (
        poll_source(factory, source_id, service.adapters[source_id], clock=service.clock).stored
        == 0
    )

    with session_scope(factory) as session:
        assert session.scalar(select(func.count()).select_from(Comment)) == len(feed)
        assert session.scalar(select(func.count()).select_from(Classification)) == len(feed)
        versions = set(session.scalars(select(Classification.model_version)))
        assert versions == {classifier.version}
        statuses = dict(
            session.execute(select(Comment.status, func.count()).group_by(Comment.status)).all()
        )
        assert set(statuses) <= {CommentStatus.QUEUED, CommentStatus.NO_ACTION}
        drafts = session.scalars(select(Draft)).all()
        assert len(drafts) == statuses[CommentStatus.QUEUED]
        assert all(draft.status == DraftStatus.PENDING for draft in drafts)
        replies = [draft for draft in drafts if draft.action == Action.REPLY]
        assert replies, "complaints and questions get reply drafts"
        for draft in replies:
            comment = draft.comment
            assert draft.language == comment.language
            assert draft.text and draft.template
            assert draft.due_at is not None and draft.due_at > comment.created_at
            signature = settings.brand.signature[str(draft.language)]
            assert signature in draft.text
        assert any(draft.action == Action.HIDE for draft in drafts), "insults get a hide proposal"
