"""Polling X and Facebook sources into a real database, with rate limits, backoff and
expired tokens, through the real clients and the sandbox."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select

from ecoute.core.db import session_scope
from ecoute.core.domain import AlertStatus, SourceStatus
from ecoute.core.models import Alert, Comment, Source
from ecoute.monitor.polling import due_sources, poll_source
from ecoute.platforms.sandbox import ManualClock, Sandbox
from ecoute.platforms.tokens import fixed
from tests.platforms.conftest import BRAND, FB_PAGE, PAGE, X_APP, database, fb_adapter, x_adapter


def count(factory) -> int:
    with session_scope(factory) as session:
        return session.scalar(select(func.count()).select_from(Comment))


def source(factory, source_id: int) -> Source:
    with session_scope(factory) as session:
        return session.get_one(Source, source_id)


def test_polls_both_platforms_and_schedules_the_next_poll(
    database_url: str, sandbox: Sandbox, clock: ManualClock
) -> None:
    factory, (x_id, fb_id) = database(database_url, ("x", "x", BRAND), ("fb", "facebook", PAGE))
    root = sandbox.x.post(BRAND, "Annonce")
    for i in range(12):
        sandbox.x.post(f"u{i}", f"@{BRAND} panne {i}", reply_to=root.id)
    post = sandbox.graph.add_post(PAGE, "Annonce")
    for i in range(7):
        sandbox.graph.add_comment(post.id, f"Panne {i}", author_id=f"f{i}", author_name=f"F {i}")

    x_report = poll_source(factory, x_id, x_adapter(sandbox, clock, page_size=10), clock=clock)
    fb_report = poll_source(factory, fb_id, fb_adapter(sandbox, clock, page_size=5), clock=clock)

    assert (x_report.stored, fb_report.stored) == (12, 7)
    assert count(factory) == 19
    row = source(factory, x_id)
    assert row.next_poll_at == clock() + timedelta(seconds=60)
    assert row.rate_limit["buckets"]["GET /2/users/:id/mentions"]["remaining"] < 180
    assert due_sources(factory, now=clock()) == []
    assert set(due_sources(factory, now=clock() + timedelta(seconds=61))) == {x_id, fb_id}
    again = poll_source(factory, x_id, x_adapter(sandbox, clock), clock=clock)
    assert again.stored == 0 and count(factory) == 19


def test_rate_limit_sets_next_poll_at_to_the_reset(
    database_url: str, sandbox: Sandbox, clock: ManualClock
) -> None:
    factory, (x_id,) = database(database_url, ("x", "x", BRAND))
    sandbox.x.post("lea", f"@{BRAND} hello")
    sandbox.inject("x", "rate_limit", path_contains="/mentions", seconds=300)

    report = poll_source(factory, x_id, x_adapter(sandbox, clock), clock=clock)

    row = source(factory, x_id)
    assert report.error and "rate limit" in report.error
    assert row.status == SourceStatus.OK and row.consecutive_failures == 0
    assert row.next_poll_at == clock() + timedelta(seconds=300)
    sent = sandbox.requests()
    # The scheduler ticks again before the reset: nothing is sent, even by a new adapter.
    clock.advance(100)
    skipped = poll_source(
        factory, x_id, x_adapter(sandbox, clock), clock=clock, respect_schedule=True
    )
    assert skipped.skipped
    eager = poll_source(factory, x_id, x_adapter(sandbox, clock), clock=clock)
    assert eager.stored == 0 and sandbox.requests() == sent
    clock.advance(200)
    assert poll_source(factory, x_id, x_adapter(sandbox, clock), clock=clock).stored == 1
    assert sandbox.early_requests() == 0


def test_server_errors_back_off_exponentially_with_jitter_and_a_cap(
    database_url: str, sandbox: Sandbox, clock: ManualClock
) -> None:
    factory, (fb_id,) = database(database_url, ("fb", "facebook", PAGE))
    adapter = fb_adapter(sandbox, clock)
    delays = []
    for _ in range(12):
        sandbox.inject("graph", "server_error")
        poll_source(factory, fb_id, adapter, clock=clock, rng=random.Random(7))
        row = source(factory, fb_id)
        delays.append((row.next_poll_at - clock()).total_seconds())
        clock.set(row.next_poll_at)
    assert row.status == SourceStatus.OK and row.consecutive_failures == 12
    assert 2.5 <= delays[0] <= 5 and 5 <= delays[1] <= 10 and 10 <= delays[2] <= 20
    assert max(delays) <= 900 and delays[-1] >= 450
    poll_source(factory, fb_id, adapter, clock=clock)
    assert source(factory, fb_id).consecutive_failures == 0


def test_expired_token_marks_the_source_failing_with_one_alert_then_recovers(
    database_url: str, sandbox: Sandbox, clock: ManualClock
) -> None:
    factory, (x_id, fb_id) = database(database_url, ("x", "x", BRAND), ("fb", "facebook", PAGE))
    tokens = {"x": X_APP, "fb": FB_PAGE}
    x = x_adapter(sandbox, clock)
    x.bearer_token = lambda: tokens["x"]
    fb = fb_adapter(sandbox, clock, page_token=lambda: tokens["fb"])
    sandbox.expire_token(X_APP)
    sandbox.expire_token(FB_PAGE)

    for _ in range(2):
        poll_source(factory, x_id, x, clock=clock)
        poll_source(factory, fb_id, fb, clock=clock)
        clock.advance(15 * 60)

    with session_scope(factory) as session:
        alerts = session.scalars(select(Alert).order_by(Alert.source_id)).all()
        assert [(a.source_id, a.kind, a.status) for a in alerts] == [
            (x_id, "source_failing", AlertStatus.OPEN),
            (fb_id, "source_failing", AlertStatus.OPEN),
        ]
        assert "401" in alerts[0].detail and "error 190" in alerts[1].detail
        for source_id in (x_id, fb_id):
            row = session.get_one(Source, source_id)
            assert row.status == SourceStatus.FAILING and row.next_poll_at == clock()

    sandbox.renew_token(X_APP, "x-renewed")
    sandbox.renew_token(FB_PAGE, "fb-renewed")
    tokens.update(x="x-renewed", fb="fb-renewed")
    sandbox.x.post("lea", f"@{BRAND} hello")
    assert poll_source(factory, x_id, x, clock=clock).stored == 1
    poll_source(factory, fb_id, fb, clock=clock)
    with session_scope(factory) as session:
        assert {a.status for a in session.scalars(select(Alert))} == {AlertStatus.RESOLVED}
        assert {s.status for s in session.scalars(select(Source))} == {SourceStatus.OK}


def test_missing_token_variable_names_it(
    database_url: str, sandbox: Sandbox, clock: ManualClock, monkeypatch
) -> None:
    from ecoute.core.settings import SourceSettings
    from ecoute.platforms.registry import build_adapter

    monkeypatch.delenv("ECOUTE_TEST_X_TOKEN", raising=False)
    factory, (x_id,) = database(database_url, ("x", "x", BRAND))
    adapter = build_adapter(
        SourceSettings(
            name="x",
            platform="x",
            account=BRAND,
            token_env="ECOUTE_TEST_X_TOKEN",
            api_url=sandbox.x_url,
        )
    )
    report = poll_source(factory, x_id, adapter, clock=clock)
    assert report.error and "ECOUTE_TEST_X_TOKEN" in report.error
    assert source(factory, x_id).status == SourceStatus.FAILING
    assert sandbox.requests() == 0
    unused = fixed("")
    assert unused() == ""
