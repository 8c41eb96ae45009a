"""The X adapter against the sandbox, through tweepy's Client over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ecoute.platforms.base import (
    AuthenticationFailed,
    NotSupported,
    RateLimited,
    ReplyTarget,
    TransientError,
)
from ecoute.platforms.sandbox import ManualClock, Sandbox
from ecoute.platforms.tokens import fixed
from ecoute.platforms.x import XAdapter
from tests.platforms.conftest import BRAND, X_APP, x_adapter


def cycle(adapter: XAdapter, cursor: dict) -> tuple[list, dict, int]:
    comments, calls = [], 0
    while True:
        result = adapter.fetch(cursor)
        comments += result.comments
        cursor, calls = result.cursor, calls + 1
        if not result.has_more:
            return comments, cursor, calls


def test_mentions_and_conversation_replies_with_paging_and_expansions(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    root = sandbox.x.post(BRAND, "Nouvelle offre fibre")
    sandbox.x.add_user("lea", name="Léa M.", followers=1200, verified=True)
    mentions = [
        sandbox.x.post("lea", f"@{BRAND} panne numéro {i}", reply_to=root.id, likes=i)
        for i in range(23)
    ]
    # A reply to a customer inside the brand's conversation, without mentioning the brand.
    side = sandbox.x.post("max", "@lea pareil chez moi", reply_to=mentions[0].id)
    adapter = x_adapter(sandbox, clock, page_size=10)

    comments, cursor, _ = cycle(adapter, {})

    by_id = {c.external_id: c for c in comments}
    assert set(by_id) == {str(t.id) for t in [*mentions, side]}
    first = by_id[str(mentions[5].id)]
    assert (first.author_handle, first.author_name, first.author_followers) == (
        "lea",
        "Léa M.",
        1200,
    )
    assert first.author_verified and first.like_count == 5
    assert first.thread_id == str(root.id) and first.parent_external_id == str(root.id)
    assert first.permalink == f"https://x.com/lea/status/{mentions[5].id}"
    assert by_id[str(side.id)].parent_external_id == str(mentions[0].id)
    assert cursor["mentions"]["since_id"] == str(mentions[-1].id)
    assert str(root.id) in cursor["conversations"]

    newer = sandbox.x.post("zoe", f"@{BRAND} toujours rien", reply_to=root.id)
    again, _, _ = cycle(adapter, cursor)
    assert {c.external_id for c in again} == {str(newer.id)}


def test_cursor_keeps_the_page_being_read_until_paging_ends(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    root = sandbox.x.post(BRAND, "Annonce")
    for i in range(25):
        sandbox.x.post(f"u{i}", f"@{BRAND} question {i}", reply_to=root.id)
    adapter = x_adapter(sandbox, clock, page_size=10)
    cursor = adapter.fetch({}).cursor  # user lookup
    page = adapter.fetch(cursor)
    assert page.has_more and "since_id" not in page.cursor["mentions"]
    assert page.cursor["mentions"]["next_token"]
    sandbox.inject("x", "server_error", path_contains="/mentions")
    with pytest.raises(TransientError):
        adapter.fetch(page.cursor)
    # Retrying the same cursor resumes at the second page.
    second = adapter.fetch(page.cursor)
    assert not {c.external_id for c in second.comments} & {c.external_id for c in page.comments}


def test_reply_hide_and_unhide(sandbox: Sandbox, clock: ManualClock) -> None:
    root = sandbox.x.post(BRAND, "Annonce")
    tweet = sandbox.x.post("lea", f"@{BRAND} insulte", reply_to=root.id)
    adapter = x_adapter(sandbox, clock)
    target = ReplyTarget(str(tweet.id), str(root.id), "lea")

    reply_id = adapter.publish_reply(target, "Bonjour Léa, écrivez-nous en DM.")
    assert sandbox.x_replies() == [
        {
            "id": reply_id,
            "author_id": sandbox.x.by_username[BRAND.lower()].id,
            "text": "Bonjour Léa, écrivez-nous en DM.",
            "in_reply_to": str(tweet.id),
        }
    ]
    assert adapter.find_reply(target, "Bonjour Léa,  écrivez-nous en DM.") == reply_id
    assert adapter.find_reply(target, "autre texte") is None

    adapter.hide(target)
    assert sandbox.x_hidden() == {str(tweet.id)}
    adapter.unhide(target)
    assert sandbox.x_hidden() == set()
    with pytest.raises(NotSupported, match="direct-message"):
        adapter.private_reply(target, "hello")


def test_duplicate_content_is_reconciled_not_reposted(sandbox: Sandbox, clock: ManualClock) -> None:
    tweet = sandbox.x.post("lea", f"@{BRAND} aide")
    adapter = x_adapter(sandbox, clock)
    target = ReplyTarget(str(tweet.id), str(tweet.id), "lea")
    first = adapter.publish_reply(target, "On regarde ça")
    assert adapter.publish_reply(target, "On regarde ça") == first
    assert len(sandbox.x_replies()) == 1


def test_429_blocks_until_reset_without_sending(sandbox: Sandbox, clock: ManualClock) -> None:
    adapter = x_adapter(sandbox, clock)
    cursor = adapter.fetch({}).cursor
    sandbox.inject("x", "rate_limit", path_contains="/mentions", seconds=120)
    with pytest.raises(RateLimited) as caught:
        adapter.fetch(cursor)
    reset = caught.value.retry_at
    assert reset is not None and reset >= clock() + timedelta(seconds=119)
    sent = sandbox.requests()
    clock.advance(60)
    with pytest.raises(RateLimited):
        adapter.fetch(cursor)
    assert sandbox.requests() == sent, "no request may leave before the reset"
    # A restarted worker gets the state back and waits as well.
    restarted = x_adapter(sandbox, clock)
    restarted.restore_rate_limit_state(adapter.rate_limit_state())
    with pytest.raises(RateLimited):
        restarted.fetch(cursor)
    assert sandbox.requests() == sent
    clock.set(reset)
    assert adapter.fetch(cursor).cursor["step"] == "timeline"
    assert sandbox.early_requests() == 0


def test_spent_window_from_headers_is_respected(sandbox: Sandbox, clock: ManualClock) -> None:
    sandbox.x.limits["GET /2/users/:id/mentions"] = 2
    adapter = x_adapter(sandbox, clock)
    cursor = adapter.fetch({}).cursor
    adapter.fetch(cursor)
    adapter.fetch(cursor)  # remaining is now 0
    with pytest.raises(RateLimited):
        adapter.fetch(cursor)
    assert sandbox.early_requests() == 0
    assert adapter.blocked_until(clock()) is not None


@pytest.mark.parametrize("kind", ["server_error", "timeout", "malformed"])
def test_transient_failures(sandbox: Sandbox, clock: ManualClock, kind: str) -> None:
    adapter = x_adapter(sandbox, clock, timeout=0.5)
    sandbox.inject("x", kind)
    with pytest.raises(TransientError):
        adapter.fetch({})
    assert adapter.fetch({}).cursor["user_id"]


def test_expired_token_and_wrong_token_kind(sandbox: Sandbox, clock: ManualClock) -> None:
    adapter = x_adapter(sandbox, clock)
    sandbox.expire_token(X_APP)
    with pytest.raises(AuthenticationFailed, match="401"):
        adapter.fetch({})
    tweet = sandbox.x.post("lea", f"@{BRAND} aide")
    app_only = XAdapter(
        BRAND, bearer_token=fixed(X_APP), user_token=fixed(X_APP), api_url=sandbox.x_url
    )
    sandbox.renew_token(X_APP, "x-app-token-2")
    app_only.user_token = fixed("x-app-token-2")
    with pytest.raises(AuthenticationFailed, match="403 Unsupported Authentication"):
        app_only.publish_reply(ReplyTarget(str(tweet.id), None, "lea"), "hello")
    assert sandbox.x_replies() == []
