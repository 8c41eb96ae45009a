"""Exactly-once publishing through the outbox, against the sandbox and a real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ecoute.core.db import session_scope
from ecoute.core.domain import Action, AlertStatus, DraftStatus, SourceStatus
from ecoute.core.models import Alert, Comment, Draft, Source
from ecoute.monitor.polling import poll_source
from ecoute.platforms.sandbox import ManualClock, Sandbox
from ecoute.responders.outbox import _carry_out, _claim_next, publish_approved
from tests.platforms.conftest import BRAND, PAGE, X_USER, database, fb_adapter, x_adapter

LEASE = timedelta(minutes=2)


def approved(factory, external_id: str, action: Action, text: str | None) -> int:
    with session_scope(factory) as session:
        comment = session.scalars(select(Comment).where(Comment.external_id == external_id)).one()
        draft = Draft(
            comment_id=comment.id,
            action=action,
            category="complaint",
            text=text,
            status=DraftStatus.APPROVED,
        )
        session.add(draft)
        session.flush()
        return draft.id


def draft(factory, draft_id: int) -> Draft:
    with session_scope(factory) as session:
        return session.get_one(Draft, draft_id)


def setup_x(database_url: str, sandbox: Sandbox, clock: ManualClock):
    factory, (x_id,) = database(database_url, ("x", "x", BRAND))
    tweet = sandbox.x.post("lea", f"@{BRAND} pas de connexion")
    adapter = x_adapter(sandbox, clock)
    poll_source(factory, x_id, adapter, clock=clock)
    return factory, x_id, adapter, str(tweet.id)


def test_reply_is_published_once(database_url: str, sandbox: Sandbox, clock: ManualClock) -> None:
    factory, _, adapter, tweet_id = setup_x(database_url, sandbox, clock)
    draft_id = approved(factory, tweet_id, Action.REPLY, "Bonjour, écrivez-nous en DM.")

    report = publish_approved(factory, lambda _: adapter, clock=clock)
    assert (report.published, report.reconciled) == (1, 0)
    assert publish_approved(factory, lambda _: adapter, clock=clock).published == 0

    replies = sandbox.x_replies()
    assert [(r["in_reply_to"], r["text"]) for r in replies] == [
        (tweet_id, "Bonjour, écrivez-nous en DM.")
    ]
    row = draft(factory, draft_id)
    assert row.status == DraftStatus.PUBLISHED and row.external_reply_id == replies[0]["id"]


def test_crash_after_the_platform_answered_is_reconciled(
    database_url: str, sandbox: Sandbox, clock: ManualClock
) -> None:
    factory, _, adapter, tweet_id = setup_x(database_url, sandbox, clock)
    draft_id = approved(factory, tweet_id, Action.REPLY, "On s'en occupe.")
    # A publisher claims the draft, the platform posts the reply, and the process dies
    # before committing the result.
    with session_scope(factory) as session:
        claim = _claim_next(session, LEASE, clock())
    assert claim is not None
    posted, _ = _carry_out(adapter, claim)
    assert draft(factory, draft_id).status == DraftStatus.PUBLISHING

    assert publish_approved(factory, lambda _: adapter, clock=clock).published == 0, "lease held"
    clock.advance(LEASE.total_seconds())
    report = publish_approved(factory, lambda _: x_adapter(sandbox, clock), clock=clock)

    assert (report.published, report.reconciled) == (1, 1)
    assert len(sandbox.x_replies()) == 1
    row = draft(factory, draft_id)
    assert row.status == DraftStatus.PUBLISHED and row.external_reply_id == posted


def test_timeout_after_the_post_took_effect_is_reconciled(
    database_url: str, sandbox: Sandbox, clock: ManualClock
) -> None:
    factory, _, _, tweet_id = setup_x(database_url, sandbox, clock)
    adapter = x_adapter(sandbox, clock, timeout=0.5)
    draft_id = approved(factory, tweet_id, Action.REPLY, "Nous regardons.")
    sandbox.inject("x", "timeout", method="POST", after_effect=True)
    sandbox.inject("x", "server_error", method="GET", path_contains="/tweets")

    first = publish_approved(factory, lambda _: adapter, clock=clock)
    assert first.failed == 1 and len(sandbox.x_replies()) == 1
    for _ in range(2):
        clock.set(draft(factory, draft_id).next_attempt_at)
        publish_approved(factory, lambda _: adapter, clock=clock)
    row = draft(factory, draft_id)
    assert row.status == DraftStatus.PUBLISHED and row.attempts == 3
    assert len(sandbox.x_replies()) == 1 and sandbox.double_published() == 0


def test_hide_and_private_reply_on_facebook(
    database_url: str, sandbox: Sandbox, clock: ManualClock
) -> None:
    factory, (fb_id,) = database(database_url, ("fb", "facebook", PAGE))
    post = sandbox.graph.add_post(PAGE, "Annonce")
    rude = sandbox.graph.add_comment(post.id, "Bande de voleurs", author_id="u1", author_name="A")
    billing = sandbox.graph.add_comment(post.id, "Facture fausse", author_id="u2", author_name="B")
    adapter = fb_adapter(sandbox, clock)
    poll_source(factory, fb_id, adapter, clock=clock)
    hide_id = approved(factory, rude.id, Action.HIDE, None)
    private_id = approved(
        factory, billing.id, Action.PRIVATE_REPLY, "Bonjour, votre numéro client ?"
    )

    # The private reply goes out, then the publisher dies before recording it.
    with session_scope(factory) as session:
        claim = _claim_next(session, LEASE, clock())
        second = _claim_next(session, LEASE, clock())
    assert claim and second and second.action == Action.PRIVATE_REPLY
    _carry_out(adapter, second)
    clock.advance(LEASE.total_seconds())
    report = publish_approved(factory, lambda _: adapter, clock=clock)

    assert (report.published, report.reconciled) == (2, 1)
    assert sandbox.graph_hidden() == {rude.id}
    assert [p["comment_id"] for p in sandbox.private_replies()] == [billing.id]
    assert draft(factory, hide_id).status == DraftStatus.PUBLISHED
    assert draft(factory, private_id).status == DraftStatus.PUBLISHED


def test_rate_limited_publish_waits_for_the_reset_without_spending_an_attempt(
    database_url: str, sandbox: Sandbox, clock: ManualClock
) -> None:
    factory, x_id, adapter, tweet_id = setup_x(database_url, sandbox, clock)
    first = approved(factory, tweet_id, Action.REPLY, "Réponse 1")
    other = sandbox.x.post("max", f"@{BRAND} aussi")
    poll_source(factory, x_id, adapter, clock=clock)
    second = approved(factory, str(other.id), Action.REPLY, "Réponse 2")
    sandbox.inject("x", "rate_limit", method="POST", seconds=600)

    report = publish_approved(factory, lambda _: x_adapter(sandbox, clock), clock=clock)

    assert report.failed == 2 and sandbox.x_replies() == []
    for draft_id in (first, second):
        row = draft(factory, draft_id)
        assert row.status == DraftStatus.APPROVED and row.attempts == 0
        assert row.next_attempt_at == clock() + timedelta(seconds=600)
    clock.advance(600)
    assert (
        publish_approved(factory, lambda _: x_adapter(sandbox, clock), clock=clock).published == 2
    )
    assert sandbox.early_requests() == 0


def test_unsupported_action_fails_clearly_and_expired_token_waits(
    database_url: str, sandbox: Sandbox, clock: ManualClock
) -> None:
    factory, x_id, adapter, tweet_id = setup_x(database_url, sandbox, clock)
    private = approved(factory, tweet_id, Action.PRIVATE_REPLY, "En privé")
    reply = approved(factory, tweet_id, Action.REPLY, "En public")
    sandbox.expire_token(X_USER)

    publish_approved(factory, lambda _: adapter, clock=clock)

    assert draft(factory, private).status == DraftStatus.FAILED
    assert "direct-message" in (draft(factory, private).last_error or "")
    waiting = draft(factory, reply)
    assert waiting.status == DraftStatus.APPROVED and waiting.attempts == 0
    with session_scope(factory) as session:
        assert session.get_one(Source, x_id).status == SourceStatus.FAILING
        alert = session.scalars(select(Alert)).one()
        assert alert.status == AlertStatus.OPEN and "user-context token" in alert.detail


def test_reply_to_a_reply_on_facebook_is_reconciled(
    database_url: str, sandbox: Sandbox, clock: ManualClock
) -> None:
    """Facebook files a reply to a reply under the top-level comment: the lookup must
    search there, or a retry after a lost answer would post a second reply."""
    factory, (fb_id,) = database(database_url, ("fb", "facebook", PAGE))
    post = sandbox.graph.add_post(PAGE, "Maintenance ce soir")
    top = sandbox.graph.add_comment(post.id, "Encore ?", author_id="u1", author_name="A")
    reply = sandbox.graph.add_comment(
        post.id, "Pareil, plus de fibre", author_id="u2", author_name="B", parent_id=top.id
    )
    adapter = fb_adapter(sandbox, clock)
    poll_source(factory, fb_id, adapter, clock=clock)
    draft_id = approved(factory, reply.id, Action.REPLY, "Je regarde votre ligne, B.")
    sandbox.inject("graph", "server_error", method="POST", after_effect=True)

    first = publish_approved(factory, lambda _: adapter, clock=clock)
    assert first.failed == 1 and len(sandbox.graph_replies()) == 1
    clock.set(draft(factory, draft_id).next_attempt_at)
    second = publish_approved(factory, lambda _: adapter, clock=clock)

    assert (second.published, second.reconciled) == (1, 1)
    assert len(sandbox.graph_replies()) == 1 and sandbox.double_published() == 0
    assert draft(factory, draft_id).external_reply_id == sandbox.graph_replies()[0]["id"]


def test_sandbox_refuses_a_reply_on_another_post(sandbox: Sandbox) -> None:
    first = sandbox.graph.add_post(PAGE, "Annonce 1")
    second = sandbox.graph.add_post(PAGE, "Annonce 2")
    parent = sandbox.graph.add_comment(first.id, "Question", author_id="u1", author_name="A")
    with pytest.raises(ValueError, match="parent's post"):
        sandbox.graph.add_comment(
            second.id, "Réponse", author_id="u2", author_name="B", parent_id=parent.id
        )
