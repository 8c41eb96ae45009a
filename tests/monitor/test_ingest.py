"""A comment seen twice is stored once, and the cursor moves only with stored comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from ecoute.core.db import make_engine, make_session_factory, session_scope, upgrade
from ecoute.core.models import Comment, Source
from ecoute.monitor.ingest import store_comments
from ecoute.monitor.polling import poll_source
from ecoute.platforms.base import IncomingComment
from ecoute.platforms.replay import ReplayAdapter, load_feed


def incoming(external_id: str, text: str = "ma box ne marche plus") -> IncomingComment:
    return IncomingComment(
        external_id=external_id,
        author_id="u1",
        author_handle="@lea",
        text=text,
        created_at=datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
        raw={"platform": "x"},
    )


def prepared(database_url: str):
    engine = make_engine(database_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        source = Source(name="feed", platform="replay", account="F", cursor={}, rate_limit={})
        session.add(source)
        session.flush()
        source_id = source.id
    return engine, factory, source_id


def test_same_comment_twice_is_stored_once(database_url: str) -> None:
    engine, factory, source_id = prepared(database_url)
    with session_scope(factory) as session:
        source = session.get_one(Source, source_id)
        first = store_comments(session, source, [incoming("1"), incoming("2")], {"since_id": "2"})
    with session_scope(factory) as session:
        source = session.get_one(Source, source_id)
        again = store_comments(
            session, source, [incoming("2"), incoming("3"), incoming("3")], {"since_id": "3"}
        )
    assert (first.stored, first.duplicates) == (2, 0)
    assert (again.received, again.stored, again.duplicates) == (3, 1, 2)
    with session_scope(factory) as session:
        assert session.scalar(select(func.count()).select_from(Comment)) == 3
        assert session.get_one(Source, source_id).cursor == {"since_id": "3"}
        stored = session.scalars(select(Comment).where(Comment.external_id == "1")).one()
        assert stored.created_at == datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
        assert stored.platform == "x"
    engine.dispose()


def test_rolled_back_batch_leaves_neither_comments_nor_cursor(database_url: str) -> None:
    engine, factory, source_id = prepared(database_url)
    session = factory()
    source = session.get_one(Source, source_id)
    store_comments(session, source, [incoming("9")], {"since_id": "9"})
    session.rollback()
    session.close()
    with session_scope(factory) as session:
        assert session.scalar(select(func.count()).select_from(Comment)) == 0
        assert session.get_one(Source, source_id).cursor == {}
    engine.dispose()


def test_replay_releases_comments_over_time_and_resumes_from_cursor(database_url: str) -> None:
    engine, factory, source_id = prepared(database_url)
    feed = load_feed()
    start = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    now = [start]
    adapter = ReplayAdapter(speed=1.0, page_size=25, clock=lambda: now[0])

    first = poll_source(factory, source_id, adapter)
    assert first.stored == 0, "nothing is released before the first comment's offset"
    halfway = feed[len(feed) // 2].offset_s
    now[0] = start + timedelta(seconds=halfway)
    second = poll_source(factory, source_id, adapter)
    released = sum(1 for item in feed if item.offset_s <= halfway)
    assert second.stored == released
    assert second.pages == -(-released // 25)

    # A new adapter (a restarted process) continues from the saved cursor.
    now[0] = start + timedelta(seconds=feed[-1].offset_s + 1)
    restarted = ReplayAdapter(speed=1.0, page_size=25, clock=lambda: now[0])
    third = poll_source(factory, source_id, restarted)
    assert third.stored == len(feed) - released
    with session_scope(factory) as session:
        assert session.scalar(select(func.count()).select_from(Comment)) == len(feed)
        source = session.get_one(Source, source_id)
        assert source.cursor["position"] == len(feed)
        assert source.last_error is None and source.last_success_at is not None
    engine.dispose()
