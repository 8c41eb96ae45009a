"""The Facebook adapter against the sandbox, through facebook-sdk's GraphAPI over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ecoute.core.settings import SourceSettings
from ecoute.platforms.base import (
    AlreadyDone,
    AuthenticationFailed,
    RateLimited,
    ReplyTarget,
    TransientError,
)
from ecoute.platforms.facebook import FacebookAdapter
from ecoute.platforms.registry import build_adapter
from ecoute.platforms.sandbox import ManualClock, Sandbox
from tests.platforms.conftest import BRAND, FB_PAGE, PAGE, fb_adapter


def cycle(adapter: FacebookAdapter, cursor: dict) -> tuple[list, dict, int]:
    comments, calls = [], 0
    while True:
        result = adapter.fetch(cursor)
        comments += result.comments
        cursor, calls = result.cursor, calls + 1
        if not result.has_more:
            return comments, cursor, calls


def test_comments_and_replies_incrementally(sandbox: Sandbox, clock: ManualClock) -> None:
    quiet = sandbox.graph.add_post(PAGE, "Old news")
    post = sandbox.graph.add_post(PAGE, "Nouvelle box")
    top = [
        sandbox.graph.add_comment(
            post.id, f"Panne {i}", author_id=f"u{i}", author_name=f"Client {i}"
        )
        for i in range(5)
    ]
    clock.advance(1)
    reply = sandbox.graph.add_comment(
        post.id, "Moi aussi", author_id="u9", author_name="Nina", parent_id=top[0].id, likes=3
    )
    sandbox.graph.add_comment(
        post.id, "Nous regardons", author_id=PAGE, author_name=BRAND, parent_id=top[0].id
    )
    adapter = fb_adapter(sandbox, clock, page_size=2)

    comments, cursor, _ = cycle(adapter, {})

    by_id = {c.external_id: c for c in comments}
    assert set(by_id) == {c.id for c in [*top, reply]}, (
        "the page's own comments are not comments to answer"
    )
    nina = by_id[reply.id]
    assert (nina.author_id, nina.author_handle, nina.like_count) == ("u9", "Nina", 3)
    assert nina.thread_id == post.id and nina.parent_external_id == top[0].id
    assert nina.permalink and "comment_id=" in nina.permalink
    assert by_id[top[1].id].reply_count == 0 and by_id[top[0].id].reply_count == 2

    clock.advance(60)
    newer = sandbox.graph.add_comment(post.id, "Toujours rien", author_id="u7", author_name="Zoé")
    before = sandbox.requests()
    again, _, calls = cycle(adapter, cursor)
    # `since` is inclusive at one-second precision: the newest second already read is
    # read again on purpose (a comment written in that second after the read is not
    # lost), and the database stores it once.
    assert {c.external_id for c in again} - {reply.id} == {newer.id}
    # One listing of posts and two pages of the busy post; the quiet post is not read.
    assert calls == 3 and sandbox.requests() - before == 3
    assert quiet.id in cursor["posts"]
    assert sandbox.graph.versions == {"v25.0"}


def test_graph_version_comes_from_the_source(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FB_TOKEN_FOR_TEST", FB_PAGE)
    source = SourceSettings(
        name="fb",
        platform="facebook",
        account=PAGE,
        token_env="FB_TOKEN_FOR_TEST",
        api_url=sandbox.graph_url,
        graph_version="v24.0",
    )
    build_adapter(source).fetch({})
    assert sandbox.graph.versions == {"v24.0"}


def test_reply_hide_unhide_and_one_private_reply(sandbox: Sandbox, clock: ManualClock) -> None:
    post = sandbox.graph.add_post(PAGE, "Nouvelle box")
    comment = sandbox.graph.add_comment(
        post.id, "Ma facture est fausse", author_id="u1", author_name="Léa"
    )
    nested = sandbox.graph.add_comment(
        post.id, "+1", author_id="u2", author_name="Max", parent_id=comment.id
    )
    adapter = fb_adapter(sandbox, clock)
    target = ReplyTarget(comment.id, post.id, "Léa")

    reply_id = adapter.publish_reply(target, "Bonjour Léa, nous vous écrivons en privé.")
    assert sandbox.graph_replies() == [
        {
            "id": reply_id,
            "in_reply_to": comment.id,
            "page_id": PAGE,
            "message": "Bonjour Léa, nous vous écrivons en privé.",
        }
    ]
    assert adapter.find_reply(target, "Bonjour Léa, nous vous écrivons en privé.") == reply_id
    nested_target = ReplyTarget(nested.id, post.id, "Max", parent_external_id=comment.id)
    nested_reply = adapter.publish_reply(nested_target, "Bonjour Max")
    assert adapter.find_reply(nested_target, "Bonjour Max") == nested_reply

    adapter.hide(target)
    assert sandbox.graph_hidden() == {comment.id}
    adapter.unhide(target)
    assert sandbox.graph_hidden() == set()

    message_id = adapter.private_reply(target, "Pouvez-vous nous donner votre numéro client ?")
    assert message_id.startswith("m_")
    with pytest.raises(AlreadyDone):
        adapter.private_reply(target, "Pouvez-vous nous donner votre numéro client ?")
    assert [p["comment_id"] for p in sandbox.private_replies()] == [comment.id]


def test_expired_token_is_an_authentication_failure(sandbox: Sandbox, clock: ManualClock) -> None:
    adapter = fb_adapter(sandbox, clock)
    sandbox.expire_token(FB_PAGE)
    with pytest.raises(AuthenticationFailed, match="error 190"):
        adapter.fetch({})


def test_missing_permission_is_an_authentication_failure(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    sandbox.add_page(
        "777", "Other", token="read-only", permissions=frozenset({"pages_read_engagement"})
    )
    post = sandbox.graph.add_post("777", "Hello")
    comment = sandbox.graph.add_comment(post.id, "Bad", author_id="u1", author_name="Léa")
    adapter = FacebookAdapter(
        "777", page_token=lambda: "read-only", api_url=sandbox.graph_url, clock=clock
    )
    with pytest.raises(AuthenticationFailed, match="pages_manage_engagement"):
        adapter.hide(ReplyTarget(comment.id, post.id, "Léa"))


def test_throttling_stops_calls_until_access_is_regained(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    adapter = fb_adapter(sandbox, clock)
    sandbox.inject("graph", "rate_limit", seconds=150)
    with pytest.raises(RateLimited, match="error 32") as caught:
        adapter.fetch({})
    assert caught.value.retry_at == clock() + timedelta(minutes=3), (
        "estimated_time_to_regain_access"
    )
    sent = sandbox.requests()
    clock.advance(170)
    with pytest.raises(RateLimited):
        adapter.fetch({})
    assert sandbox.requests() == sent
    clock.advance(10)
    adapter.fetch({})
    assert sandbox.early_requests() == 0


def test_usage_headers_slow_polling_down(sandbox: Sandbox, clock: ManualClock) -> None:
    sandbox.add_page("888", "Busy", token="busy", call_limit=4)
    adapter = FacebookAdapter(
        "888", page_token=lambda: "busy", api_url=sandbox.graph_url, clock=clock
    )
    adapter.fetch({})
    assert adapter.rate_limit_state()["slow_factor"] == 1.0
    adapter.fetch({})
    adapter.fetch({})
    assert adapter.rate_limit_state()["slow_factor"] == 4.0
    adapter.fetch({})  # the fourth call spends the budget
    with pytest.raises(RateLimited):
        adapter.fetch({})
    assert sandbox.early_requests() == 0


@pytest.mark.parametrize("kind", ["server_error", "timeout", "malformed"])
def test_transient_failures(sandbox: Sandbox, clock: ManualClock, kind: str) -> None:
    adapter = fb_adapter(sandbox, clock, timeout=0.5)
    sandbox.inject("graph", kind)
    with pytest.raises(TransientError):
        adapter.fetch({})
    adapter.fetch({})
