"""Incidents in the console: declared by an approver, matched by the real drafting step,
resolved with the "fixed" post; every change audited and refused without its rights."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from ecoute.core.db import session_scope
from ecoute.core.domain import CommentStatus
from ecoute.core.models import (
    AuditEvent,
    Classification,
    Comment,
    Incident,
    IncidentComment,
    IncidentPost,
    Source,
)
from ecoute.responders.flows import draft_batch
from tests.console.test_casework import Team

DECLARE = {
    "title": "Panne fibre Lyon",
    "summary_fr": "Une panne touche la fibre à Lyon depuis 9 h",
    "summary_en": "An outage has affected fibre in Lyon since 9am",
    "keywords": "panne*, outage\ncoupure*",
    "status_url": "https://status.fibrelle.example/lyon",
}


@pytest.fixture
def team(tmp_path: Path) -> Team:
    return Team(tmp_path)


def declare(team: Team, username: str = "camille", **changes: str) -> tuple[int, str]:
    client, csrf = team.client(username)
    response = client.post("/incidents", data={**DECLARE, **changes, "csrf_token": csrf})
    return response.status_code, response.text


def add_complaint(team: Team, external_id: str, text: str, followers: int) -> int:
    """A classified complaint waiting for the drafting step."""
    with session_scope(team.factory) as session:
        source = session.scalars(select(Source)).one()
        comment = Comment(
            source_id=source.id,
            platform="x",
            external_id=external_id,
            author_id=external_id,
            author_handle=f"user{external_id}",
            author_followers=followers,
            like_count=3,
            text=text,
            language="fr",
            created_at=datetime.now(UTC),
            status=CommentStatus.CLASSIFIED,
        )
        session.add(comment)
        session.flush()
        session.add(
            Classification(
                comment_id=comment.id,
                category="complaint",
                confidence=0.9,
                probabilities={"complaint": 0.9},
                flags=[],
                language="fr",
                model_version="test",
            )
        )
        return comment.id


def test_an_approver_declares_and_the_posts_are_drafted_with_their_checks(team: Team) -> None:
    status, page = declare(team)
    assert status == 200 and "Panne fibre Lyon" in page
    with session_scope(team.factory) as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.keywords == ["panne*", "outage", "coupure*"]
        assert incident.status_url == DECLARE["status_url"]
        assert incident.declared_by_label == "camille"
        posts = session.scalars(select(IncidentPost)).all()
        assert {(p.platform, p.language, p.kind) for p in posts} == {
            (platform, language, "declared")
            for platform in ("x", "facebook")
            for language in ("fr", "en")
        }
        assert all(DECLARE["status_url"] in p.text for p in posts)
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "incident.declare")
        ).one()
        assert event.actor_label == "camille" and event.after["title"] == "Panne fibre Lyon"
    # The page shows each post with its length against the platform's limit.
    for post in posts:
        assert f'id="post-{post.id}"' in page
    assert "/280" in page and "/8000" in page


def test_declaring_needs_the_approver_role_and_the_csrf_token(team: Team) -> None:
    agent, csrf = team.client("theo")
    listing = agent.get("/incidents").text
    assert 'href="/incidents"' in listing and 'id="declare"' not in listing
    assert agent.post("/incidents", data={**DECLARE, "csrf_token": csrf}).status_code == 403
    approver, _csrf = team.client("camille")
    assert approver.post("/incidents", data=DECLARE).status_code == 403
    with session_scope(team.factory) as session:
        assert session.scalars(select(Incident)).all() == []


def test_a_refused_declaration_keeps_what_was_typed(team: Team) -> None:
    status, page = declare(team, summary_en="")
    assert status == 422 and "missing: en" in page
    assert 'value="Panne fibre Lyon"' in page and "depuis 9 h</textarea>" in page
    status, page = declare(team, status_url="javascript:alert(1)")
    assert status == 422 and "https://" in page
    status, page = declare(team, keywords=" , ")
    assert status == 422 and "keyword" in page
    with session_scope(team.factory) as session:
        assert session.scalars(select(Incident)).all() == []


def test_matching_complaints_are_counted_with_their_reach(team: Team) -> None:
    declare(team)
    add_complaint(team, "c1", "Encore une panne de fibre ce matin !", followers=1200)
    add_complaint(team, "c2", "Coupure totale depuis hier soir", followers=40)
    other = add_complaint(team, "c3", "Ma facture est fausse ce mois-ci", followers=9000)
    settings = team.app.state.console.settings
    with session_scope(team.factory) as session:
        assert draft_batch(session, settings, 50) == 3
    with session_scope(team.factory) as session:
        linked = set(session.scalars(select(IncidentComment.comment_id)).all())
        assert other not in linked and len(linked) == 2
    client, _csrf = team.client("theo")
    listing = client.get("/incidents").text
    assert '<td class="matched">2</td>' in listing
    assert f'<td class="reach">{1200 + 3 + 40 + 3}</td>' in listing
    detail = client.get("/incidents/1").text
    assert "Encore une panne" in detail and "Coupure totale" in detail
    assert "Ma facture est fausse" not in detail


def test_resolving_drafts_the_fixed_post_and_is_audited(team: Team) -> None:
    declare(team)
    agent, csrf = team.client("theo")
    assert agent.post("/incidents/1/resolve", data={"csrf_token": csrf}).status_code == 403
    client, csrf = team.client("camille")
    response = client.post(
        "/incidents/1/resolve",
        data={
            "csrf_token": csrf,
            "resolution_fr": "Un équipement a été remplacé",
            "resolution_en": "A faulty router was replaced",
        },
    )
    assert response.status_code == 200 and 'data-status="resolved"' in response.text
    with session_scope(team.factory) as session:
        resolved = session.scalars(
            select(IncidentPost).where(IncidentPost.kind == "resolved")
        ).all()
        assert len(resolved) == 4
        assert any("remplacé" in p.text for p in resolved if p.language == "fr")
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "incident.resolve")
        ).one()
        assert event.before == {"status": "active"} and event.after["status"] == "resolved"
    again = client.post("/incidents/1/resolve", data={"csrf_token": csrf})
    assert again.status_code == 409 and "already resolved" in again.text
    assert client.post("/incidents/99/resolve", data={"csrf_token": csrf}).status_code == 404
    listing = client.get("/incidents").text
    past = listing[listing.index('id="incidents-past"') :]
    assert "Panne fibre Lyon" in past
