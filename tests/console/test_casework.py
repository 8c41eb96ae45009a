"""The console beyond approve and reject: editing with live checks, the two-person rule,
reclassifying, hiding, assigning, escalating, closing the loop, and the pages that
report on all of it (dashboard, weekly report, alerts, health, users, audit)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ecoute.console.accounts import create_user
from ecoute.console.app import create_app
from ecoute.console.i18n import MESSAGES
from ecoute.core.db import make_engine, make_session_factory, session_scope, upgrade
from ecoute.core.domain import Action, AlertStatus, CommentStatus, DraftStatus, Role
from ecoute.core.models import (
    Alert,
    AuditEvent,
    CaseFollowUp,
    Classification,
    Comment,
    Draft,
    Source,
)
from tests.conftest import make_settings
from tests.console.test_queue import HOSTILE, PASSWORD, add_comment, sign_in


def migrated(url: str) -> sessionmaker[Session]:
    """A database brought up to the newest schema by the real migrations."""
    engine = make_engine(url)
    upgrade(engine)
    return make_session_factory(engine)


class Team:
    def __init__(self, tmp_path: Path, **console: object) -> None:
        settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'ecoute.db'}")
        if console:
            settings = settings.model_copy(
                update={"console": settings.console.model_copy(update=console)}
            )
        self.factory = migrated(settings.database_url())
        with session_scope(self.factory) as session:
            for username, role, language in (
                ("camille", Role.APPROVER, "fr"),
                ("nadia", Role.APPROVER, "en"),
                ("theo", Role.AGENT, "en"),
                ("root", Role.ADMIN, "en"),
            ):
                create_user(
                    session,
                    username=username,
                    password=PASSWORD,
                    display_name=username.title(),
                    role=role,
                    language=language,
                )
            source = Source(name="demo-feed", platform="replay", account="F", cursor={})
            source.rate_limit = {}
            session.add(source)
            session.flush()
            self.draft_id = add_comment(session, source, "1", HOSTILE, Action.REPLY)
            self.comment_id = session.get_one(Draft, self.draft_id).comment_id
        self.app = create_app(settings, self.factory)

    def client(self, username: str) -> tuple[TestClient, str]:
        client = TestClient(self.app)
        return client, sign_in(client, username)

    def session(self) -> Session:
        return self.factory()


@pytest.fixture
def team(tmp_path: Path) -> Team:
    return Team(tmp_path)


def test_messages_exist_in_both_languages() -> None:
    assert set(MESSAGES["fr"]) == set(MESSAGES["en"])


def test_live_checks_name_the_problems_without_saving(team: Team) -> None:
    client, csrf = team.client("camille")
    bad = "Appelez le +33 6 12 34 56 78, c'est contre notre politique."
    html = client.post(
        f"/drafts/{team.draft_id}/check", data={"text": bad, "csrf_token": csrf}
    ).text
    assert 'data-name="personal_data_exposed"' in html
    assert 'data-name="defensive_phrase"' in html
    refused = client.post(f"/drafts/{team.draft_id}/check", data={"text": bad})
    assert refused.status_code == 403
    with session_scope(team.factory) as session:
        assert session.get_one(Draft, team.draft_id).text == "Bonjour @lea, je suis désolée."


def test_agent_edits_and_an_approver_publishes_it(team: Team) -> None:
    agent, csrf = team.client("theo")
    edited = "Bonjour Léa, je suis désolée pour cette panne. Écrivez-nous en message privé."
    response = agent.post(
        f"/drafts/{team.draft_id}/edit", data={"text": edited, "csrf_token": csrf}
    )
    assert response.status_code == 200 and "Edit saved" in response.text
    assert (
        agent.post(f"/drafts/{team.draft_id}/approve", data={"csrf_token": csrf}).status_code == 403
    )
    assert (
        agent.post(
            f"/drafts/{team.draft_id}/reject", data={"csrf_token": csrf, "reason": "x"}
        ).status_code
        == 403
    )
    approver, csrf = team.client("nadia")
    assert approver.post(f"/drafts/{team.draft_id}/approve", data={"csrf_token": csrf}).is_success
    with session_scope(team.factory) as session:
        draft = session.get_one(Draft, team.draft_id)
        assert (draft.status, draft.text) == (DraftStatus.APPROVED, edited)
        edit = session.scalars(select(AuditEvent).where(AuditEvent.action == "draft.edit")).one()
        assert edit.actor_label == "theo" and edit.after["text"] == edited
        assert edit.before["text"] == "Bonjour @lea, je suis désolée."


def test_two_person_rule_stops_the_author_of_an_edit(tmp_path: Path) -> None:
    team = Team(tmp_path, two_person_rule=True)
    camille, csrf = team.client("camille")
    edited = "Bonjour Léa, je suis vraiment désolée. Écrivez-nous en message privé."
    refused = camille.post(
        f"/drafts/{team.draft_id}/approve", data={"csrf_token": csrf, "text": edited}
    )
    assert refused.status_code == 403 and "two-person rule" in refused.text
    assert camille.post(
        f"/drafts/{team.draft_id}/edit", data={"csrf_token": csrf, "text": edited}
    ).is_success
    assert (
        camille.post(f"/drafts/{team.draft_id}/approve", data={"csrf_token": csrf}).status_code
        == 403
    )
    nadia, csrf = team.client("nadia")
    assert nadia.post(f"/drafts/{team.draft_id}/approve", data={"csrf_token": csrf}).is_success


def test_reclassification_is_kept_for_training_and_redrafts(team: Team) -> None:
    client, csrf = team.client("theo")
    response = client.post(
        f"/comments/{team.comment_id}/reclassify",
        data={"category": "insult", "csrf_token": csrf},
    )
    assert response.is_success
    with session_scope(team.factory) as session:
        cm = session.scalars(select(Classification).where(Classification.origin == "cm")).one()
        assert (cm.category, cm.model_version, cm.created_by_id) == ("insult", "cm", 3)
        drafts = session.scalars(
            select(Draft).where(Draft.comment_id == team.comment_id).order_by(Draft.id)
        ).all()
        assert drafts[0].status == DraftStatus.REJECTED
        assert drafts[0].reject_reason == "reclassified as insult"
        assert drafts[-1].action == Action.HIDE and drafts[-1].status == DraftStatus.PENDING
    bad = client.post(
        f"/comments/{team.comment_id}/reclassify", data={"category": "spam", "csrf_token": csrf}
    )
    assert bad.status_code == 409


def test_a_complaint_is_never_hidden_but_an_insult_is(team: Team) -> None:
    client, csrf = team.client("camille")
    url = f"/comments/{team.comment_id}/hide"
    refused = client.post(url, data={"csrf_token": csrf})
    assert refused.status_code == 409 and "never hidden" in refused.text
    client.post(
        f"/comments/{team.comment_id}/reclassify",
        data={"category": "insult", "csrf_token": csrf},
    )
    assert client.post(url, data={"csrf_token": csrf}).is_success
    with session_scope(team.factory) as session:
        hides = session.scalars(select(Draft).where(Draft.action == Action.HIDE)).all()
        assert [d.status for d in hides] == [DraftStatus.APPROVED]


def test_assign_escalate_resolve_and_score(team: Team) -> None:
    client, csrf = team.client("theo")
    base = f"/comments/{team.comment_id}"
    assert client.post(f"{base}/assign", data={"assignee": "me", "csrf_token": csrf}).is_success
    mine = client.get("/queue?assignee=me").text
    assert f'id="draft-{team.draft_id}"' in mine
    assert f'id="draft-{team.draft_id}"' not in client.get("/queue?assignee=none").text
    assert client.post(f"{base}/escalate", data={"reason": "", "csrf_token": csrf}).status_code == (
        409
    )
    assert client.post(
        f"{base}/escalate", data={"reason": "menace de mort", "csrf_token": csrf}
    ).is_success
    assert client.post(f"{base}/resolve", data={"note": "rappelée", "csrf_token": csrf}).is_success
    assert client.post(f"{base}/satisfaction", data={"score": 4, "csrf_token": csrf}).is_success
    out_of_range = client.post(f"{base}/satisfaction", data={"score": 9, "csrf_token": csrf})
    assert out_of_range.status_code == 409
    with session_scope(team.factory) as session:
        comment = session.get_one(Comment, team.comment_id)
        assert comment.assigned_to_id is not None and comment.escalated_at is not None
        assert comment.status == CommentStatus.RESOLVED
        alert = session.scalars(select(Alert)).one()
        assert (alert.kind, alert.severity, alert.detail) == (
            "escalation",
            "critical",
            "menace de mort",
        )
        followup = session.scalars(select(CaseFollowUp)).one()
        assert (followup.score, followup.note) == (4, "rappelée")
    page = client.get(base).text
    assert "comment.escalate" in page and "case.satisfaction" in page


def test_escalated_case_goes_to_the_top_of_the_queue(team: Team) -> None:
    client, csrf = team.client("camille")
    with session_scope(team.factory) as session:
        source = session.scalars(select(Source)).one()
        second = add_comment(session, source, "2", "Toujours pas de réseau", Action.REPLY)
        later = session.get_one(Draft, second)
        later.due_at = later.due_at.replace(year=later.due_at.year + 1)
        other_comment = later.comment_id
    html = client.get("/queue").text
    assert html.index(f"draft-{team.draft_id}") < html.index(f"draft-{second}")
    client.post(f"/comments/{other_comment}/escalate", data={"reason": "viral", "csrf_token": csrf})
    html = client.get("/queue").text
    assert html.index(f"draft-{second}") < html.index(f"draft-{team.draft_id}")


def test_alerts_are_acknowledged_then_resolved(team: Team) -> None:
    with session_scope(team.factory) as session:
        session.add(
            Alert(kind="spike", title="<b>Pic</b> de réclamations", dedup_key="spike:1", data={})
        )
    client, csrf = team.client("camille")
    page = client.get("/alerts").text
    assert "&lt;b&gt;Pic&lt;/b&gt;" in page
    assert client.post("/alerts/1/acknowledge", data={"csrf_token": csrf}).is_success
    assert client.post("/alerts/1/resolve", data={"csrf_token": csrf}).is_success
    with session_scope(team.factory) as session:
        alert = session.get_one(Alert, 1)
        assert alert.status == AlertStatus.RESOLVED and alert.acknowledged_by_id == 1
    assert "alert-history" in client.get("/alerts").text


def test_dashboard_weekly_report_and_csv(team: Team) -> None:
    client, csrf = team.client("camille")
    client.post(f"/drafts/{team.draft_id}/approve", data={"csrf_token": csrf})
    dashboard = client.get("/dashboard?days=7")
    assert dashboard.status_code == 200
    assert 'id="chart-data"' in dashboard.text and "<script>alert" not in dashboard.text
    csv_text = client.get("/dashboard.csv?days=7").text
    lines = csv_text.splitlines()
    assert lines[0] == "day,category,platform,language,comments"
    assert any(",complaint,x,fr,1" in line for line in lines)
    weekly = client.get("/report/weekly").text
    assert "Rapport hebdomadaire" in weekly and "Camille" in weekly


def test_health_page_and_probe(team: Team) -> None:
    client, _csrf = team.client("theo")
    page = client.get("/health").text
    assert "demo-feed" in page and 'id="model-version"' in page
    assert "does not run in this process" in page
    assert TestClient(team.app).get("/healthz").json()["drafts_pending"] == 1


def test_admin_manages_users_and_reads_the_audit_log(team: Team) -> None:
    agent, csrf = team.client("theo")
    assert agent.get("/admin/users").status_code == 403
    assert (
        agent.post(
            "/admin/users",
            data={"username": "eve", "password": "x" * 12, "role": "admin", "csrf_token": csrf},
        ).status_code
        == 403
    )
    admin, csrf = team.client("root")
    created = admin.post(
        "/admin/users",
        data={
            "username": "Lucie",
            "display_name": "Lucie",
            "password": "long enough password",
            "role": "agent",
            "language": "fr",
            "csrf_token": csrf,
        },
    )
    assert created.is_success
    assert (
        admin.post(
            "/admin/users", data={"username": "short", "password": "short", "csrf_token": csrf}
        ).status_code
        == 409
    )
    last_admin = admin.post("/admin/users/4", data={"role": "agent", "csrf_token": csrf})
    assert last_admin.status_code == 409
    assert admin.post(
        "/admin/users/5", data={"role": "approver", "active": "on", "csrf_token": csrf}
    ).is_success
    audit = admin.get("/admin/audit").text
    assert "user.update" in audit and "user.create.console" in audit and "login" in audit


def test_language_is_the_users_choice(team: Team) -> None:
    client, csrf = team.client("theo")
    assert "Review queue" in client.get("/queue").text
    client.post("/language", data={"language": "fr", "back": "/queue", "csrf_token": csrf})
    assert "File de relecture" in client.get("/queue").text


def test_refusals_are_pages_a_person_can_read(team: Team) -> None:
    client, csrf = team.client("camille")
    response = client.post(
        "/drafts/999/approve", data={"csrf_token": csrf}, headers={"accept": "text/html"}
    )
    assert response.status_code == 404 and 'id="back"' in response.text
