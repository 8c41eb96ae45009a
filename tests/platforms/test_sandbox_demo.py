"""The demo path: the bundled feed played into the sandbox, read back through
`build_adapter` (the real adapters) into a real database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ecoute.core.db import session_scope
from ecoute.core.models import Comment
from ecoute.monitor.polling import poll_source
from ecoute.platforms.registry import build_adapter
from ecoute.platforms.replay import load_feed
from ecoute.platforms.sandbox import (
    DemoAccounts,
    FeedPlayer,
    demo_sources,
    prepare_demo,
    start_sandbox,
)
from tests.platforms.conftest import database


def test_demo_feed_reaches_the_database_through_the_real_adapters(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = load_feed()
    with start_sandbox() as sandbox:
        for name, value in prepare_demo(sandbox).items():
            monkeypatch.setenv(name, value)
        sources = demo_sources(sandbox, poll_interval=5)
        factory, ids = database(sqlite_url, *[(s.name, s.platform, s.account) for s in sources])
        player = FeedPlayer(sandbox, feed, speed=1.0)
        for item in feed:  # posted right away instead of over ten minutes
            player.post(item)
        for source, source_id in zip(sources, ids, strict=True):
            report = poll_source(factory, source_id, build_adapter(source), max_pages=50)
            assert report.error is None, report.error

    with session_scope(factory) as session:
        stored = session.scalar(select(func.count()).select_from(Comment))
        x_texts = session.scalars(select(Comment.text).where(Comment.platform == "x")).all()
    expected = {"x": 0, "facebook": 0}
    for item in feed:
        expected[item.comment.raw["platform"]] += 1
    assert stored == sum(expected.values()) == player.posted
    assert len(x_texts) == expected["x"]


def test_player_runs_in_the_background_and_stops(sqlite_url: str) -> None:
    feed = load_feed()[:5]
    with start_sandbox() as sandbox:
        prepare_demo(sandbox)
        from ecoute.platforms.sandbox import play_feed

        player = play_feed(sandbox, feed, speed=1000.0, accounts=DemoAccounts())
        assert player.wait(timeout=30)
        player.stop()
        assert player.posted == 5
