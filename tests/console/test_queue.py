"""The first console page: sign in, see the queue, approve and reject, /healthz."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ecoute.console.accounts import create_user
from ecoute.console.app import create_app
from ecoute.console.service import open_database
from ecoute.core.db import session_scope
from ecoute.core.domain import Action, CommentStatus, DraftStatus, Role
from ecoute.core.models import AuditEvent, Classification, Comment, Draft, Source
from tests.conftest import make_settings

PASSWORD = "correct horse battery"
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"> ma box est en panne'


@dataclass
class Console:
    client: TestClient
    factory: sessionmaker[Session]
    draft_id: int


def add_comment(
    session: Session, source: Source, external_id: str, text: str, action: Action
) -> int:
    comment = Comment(
        source_id=source.id,
        platform="x",
        external_id=external_id,
        author_id="u1",
        author_handle="@lea",
        author_name="Léa",
        text=text,
        language="fr",
        created_at=datetime.now(UTC) - timedelta(minutes=5),
        status=CommentStatus.QUEUED,
    )
    session.add(comment)
    session.flush()
    session.add(
        Classification(
            comment_id=comment.id,
            category="complaint",
            confidence=0.9,
            probabilities={"complaint": 0.9},
            flags=["profanity"],
            language="fr",
            model_version="test",
        )
    )
    draft = Draft(
        comment_id=comment.id,
        action=action,
        category="complaint",
        language="fr",
        text="Bonjour @lea, je suis désolée.",
        original_text="Bonjour @lea, je suis désolée.",
        due_at=datetime.now(UTC) + timedelta(minutes=55),
    )
    session.add(draft)
    session.flush()
    return draft.id


@pytest.fixture
def console(tmp_path: Path) -> Console:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'ecoute.db'}")
    _engine, factory = open_database(settings, migrate=True)
    with session_scope(factory) as session:
        create_user(
            session,
            username="camille",
            password=PASSWORD,
            display_name="Camille",
            role=Role.APPROVER,
        )
        create_user(
            session,
            username="theo",
            password=PASSWORD,
            display_name="Théo",
            role=Role.AGENT,
            language="en",
        )
        source = Source(name="demo-feed", platform="replay", account="F", cursor={}, rate_limit={})
        session.add(source)
        session.flush()
        draft_id = add_comment(session, source, "1", HOSTILE, Action.REPLY)
    return Console(TestClient(create_app(settings, factory)), factory, draft_id)


def token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "every form carries a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, username: str = "camille", password: str = PASSWORD) -> str:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": token(page.text),
            "next": "/queue",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return token(client.get("/queue").text)


def test_queue_needs_sign_in(console: Console) -> None:
    response = console.client.get("/queue", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_wrong_password_then_throttled(console: Console) -> None:
    page = console.client.get("/login")
    form = {"username": "camille", "password": "wrong password", "csrf_token": token(page.text)}
    statuses = [console.client.post("/login", data=form).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    form["password"] = PASSWORD
    assert console.client.post("/login", data=form).status_code == 429


def test_queue_shows_hostile_comment_as_text(console: Console) -> None:
    sign_in(console.client)
    html = console.client.get("/queue").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'onerror="alert(2)"' not in html
    assert "Bonjour @lea, je suis désolée." in html
    assert "Réclamation" in html and "confiance 90 %" in html
    assert "default-src 'self'" in console.client.get("/queue").headers["content-security-policy"]


def test_approve_with_edit_is_recorded(console: Console) -> None:
    csrf = sign_in(console.client)
    edited = "Bonjour @lea, je suis vraiment désolée, écrivez-nous en privé."
    response = console.client.post(
        f"/drafts/{console.draft_id}/approve", data={"csrf_token": csrf, "text": edited}
    )
    assert response.status_code == 200 and "Brouillon approuvé" in response.text
    with session_scope(console.factory) as session:
        draft = session.get_one(Draft, console.draft_id)
        assert draft.status == DraftStatus.APPROVED
        assert draft.text == edited and draft.original_text != edited
        assert draft.reviewed_by_id is not None and draft.edited_by_id == draft.reviewed_by_id
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "draft.approve")
        ).one()
        assert event.actor_label == "camille"
        assert event.before == {"status": "pending", "text": "Bonjour @lea, je suis désolée."}
        assert event.after == {"status": "approved", "text": edited}
    again = console.client.post(f"/drafts/{console.draft_id}/approve", data={"csrf_token": csrf})
    assert again.status_code == 409


def test_reject_needs_a_reason(console: Console) -> None:
    csrf = sign_in(console.client)
    url = f"/drafts/{console.draft_id}/reject"
    assert console.client.post(url, data={"csrf_token": csrf, "reason": "  "}).status_code == 409
    assert console.client.post(
        url, data={"csrf_token": csrf, "reason": "ton trop familier"}
    ).is_success
    with session_scope(console.factory) as session:
        draft = session.get_one(Draft, console.draft_id)
        assert (draft.status, draft.reject_reason) == (DraftStatus.REJECTED, "ton trop familier")


def test_post_without_csrf_token_is_refused(console: Console) -> None:
    sign_in(console.client)
    response = console.client.post(f"/drafts/{console.draft_id}/approve", data={"text": "x"})
    assert response.status_code == 403
    with session_scope(console.factory) as session:
        assert session.get_one(Draft, console.draft_id).status == DraftStatus.PENDING


def test_agent_cannot_approve(console: Console) -> None:
    csrf = sign_in(console.client, "theo")
    response = console.client.post(f"/drafts/{console.draft_id}/approve", data={"csrf_token": csrf})
    assert response.status_code == 403
    assert "Review queue" in console.client.get("/queue").text


def test_healthz_reports_counts_and_sources(console: Console) -> None:
    body = console.client.get("/healthz").json()
    assert body["status"] == "ok"
    assert (body["comments"], body["drafts_pending"]) == (1, 1)
    assert body["sources"][0]["name"] == "demo-feed"
    assert {"last_poll", "last_error"} <= set(body["sources"][0])


def test_open_redirect_after_login_is_refused(console: Console) -> None:
    page = console.client.get("/login?next=https://evil.example/")
    assert 'value="/queue"' in page.text
