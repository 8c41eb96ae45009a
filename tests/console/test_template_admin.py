"""Admins edit reply templates and the knowledge base from the console: the edits live in
the data directory (never in the installed package), broken ones are refused with the
line or entry at fault, a running drafter picks them up, and every change is audited."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from ecoute.core.db import session_scope
from ecoute.core.models import AuditEvent
from ecoute.responders.drafting import ClassificationView, CommentView, Drafter, templates_dir
from ecoute.responders.knowledge import base_knowledge_files
from tests.console.test_casework import Team

PRAISE = "/admin/templates/fr/praise/1.j2"
PRAISE_TEMPLATE = "replies/fr/praise/1.j2"
NEW_PRAISE = "Merci {{ author }} pour ce message, toute l'équipe est ravie ! {{ signature }}"


@pytest.fixture
def team(tmp_path: Path) -> Team:
    return Team(tmp_path)


def shipped_digest() -> str:
    """A fingerprint of every shipped reply template and knowledge file."""
    digest = hashlib.sha256()
    files = sorted((templates_dir() / "replies").rglob("*")) + sorted(
        base_knowledge_files(None).values()
    )
    for path in files:
        if path.is_file():
            digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()


def data_dir(team: Team) -> Path:
    return team.app.state.console.settings.data_path


def audit(team: Team, action: str) -> list[AuditEvent]:
    with session_scope(team.factory) as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        session.expunge_all()
        return list(events)


def praise(drafter: Drafter, handle: str) -> tuple[str | None, str | None]:
    """The variant the drafter picks for this author's praise, and the text it writes."""
    outcome = drafter.draft(
        CommentView(
            text="Bravo, super service",
            platform="x",
            author_name="Marie",
            author_handle=handle,
            external_id=handle,
        ),
        ClassificationView("general_opinion", "fr"),
    )
    return outcome.template, outcome.text


def test_only_admins_reach_the_editors(team: Team) -> None:
    for username in ("theo", "camille"):
        client, csrf = team.client(username)
        assert client.get("/admin/templates").status_code == 403
        assert client.get("/admin/knowledge").status_code == 403
        refused = client.post(PRAISE, data={"source": NEW_PRAISE, "csrf_token": csrf})
        assert refused.status_code == 403
        refused = client.post("/admin/knowledge/fr", data={"text": "", "csrf_token": csrf})
        assert refused.status_code == 403
    admin, _csrf = team.client("root")
    assert admin.post(PRAISE, data={"source": NEW_PRAISE}).status_code == 403
    assert not (data_dir(team) / "templates").exists()
    assert not (data_dir(team) / "knowledge").exists()


def test_an_edit_is_kept_apart_and_a_running_drafter_picks_it_up(team: Team) -> None:
    before = shipped_digest()
    settings = team.app.state.console.settings
    running = Drafter(settings)
    # The variant is chosen by a stable hash of the author: find one who gets 1.j2.
    handle = next(
        h for h in (f"fan{i}" for i in range(200)) if praise(running, h)[0] == PRAISE_TEMPLATE
    )
    assert "toute l'équipe est ravie" not in (praise(running, handle)[1] or "")
    admin, csrf = team.client("root")
    listing = admin.get("/admin/templates").text
    assert (
        'data-variant="fr/praise/1.j2"' in listing and "/admin/templates/fr/praise/new" in listing
    )
    page = admin.get(PRAISE).text
    assert 'data-platform="x"' in page and 'data-platform="facebook"' in page
    response = admin.post(PRAISE, data={"source": NEW_PRAISE, "csrf_token": csrf})
    assert response.status_code == 200 and "origin-edited" in response.text
    assert (data_dir(team) / "templates/replies/fr/praise/1.j2").read_text() == NEW_PRAISE
    assert shipped_digest() == before
    running.refresh()
    assert praise(running, handle) == (
        PRAISE_TEMPLATE,
        "Merci Marie pour ce message, toute l'équipe est ravie ! Camille, service client Fibrelle",
    )
    (event,) = audit(team, "template.save")
    assert event.entity_id == "fr/praise/1.j2" and event.actor_label == "root"
    assert event.before["origin"] == "shipped" and "{{" in event.before["source"]
    assert event.after == {"source": NEW_PRAISE}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Merci {{ author }} !\n{% if level %}court{% endfor %}", "line 2"),
        ("Merci {{ author }} !\n\n{{ client.name }} {{ signature }}", "line 3"),
        ("{{ author.__class__.__mro__ }}", "SecurityError"),
        ("   ", "empty"),
    ],
)
def test_a_template_that_does_not_parse_or_render_is_refused(
    team: Team, source: str, expected: str
) -> None:
    admin, csrf = team.client("root")
    response = admin.post(PRAISE, data={"source": source, "csrf_token": csrf})
    assert response.status_code == 422
    assert expected in response.text.replace("Line ", "line ").replace(" : ", ": ")
    assert 'id="template-error"' in response.text
    if source.strip():
        assert source.split("\n")[0].replace("'", "&#39;") in response.text  # kept as typed
    assert not (data_dir(team) / "templates/replies/fr/praise/1.j2").exists()
    assert audit(team, "template.save") == []


def test_the_preview_renders_and_runs_the_checks_without_saving(team: Team) -> None:
    admin, csrf = team.client("root")
    defensive = "Merci {{ author }}, mais c'est contre notre politique. {{ signature }}"
    fragment = admin.post(
        f"{PRAISE}/preview",
        data={"source": defensive, "csrf_token": csrf},
        headers={"hx-request": "true"},
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.count('data-name="defensive_phrase"') == 2  # on X and on Facebook
    assert "Merci Marie, mais" in fragment.text
    broken = admin.post(
        f"{PRAISE}/preview",
        data={"source": "{{ author", "csrf_token": csrf},
        headers={"hx-request": "true"},
    )
    assert 'data-line="1"' in broken.text
    assert not (data_dir(team) / "templates").exists()


def test_add_a_variant_then_revert_and_delete(team: Team) -> None:
    admin, csrf = team.client("root")
    new = admin.get("/admin/templates/fr/praise/new").text
    assert 'action="/admin/templates/fr/praise/6.j2"' in new
    added = "Un grand merci {{ author }}, cela nous touche beaucoup. {{ signature }}"
    assert admin.post(
        "/admin/templates/fr/praise/6.j2", data={"source": added, "csrf_token": csrf}
    ).is_success
    running = Drafter(team.app.state.console.settings)
    assert "replies/fr/praise/6.j2" in running.renderer.variants("praise", "fr")
    admin.post(PRAISE, data={"source": NEW_PRAISE, "csrf_token": csrf})
    reverted = admin.post(f"{PRAISE}/revert", data={"csrf_token": csrf})
    assert reverted.is_success and "origin-edited" not in reverted.text
    assert not (data_dir(team) / "templates/replies/fr/praise/1.j2").exists()
    deleted = admin.post("/admin/templates/fr/praise/6.j2/revert", data={"csrf_token": csrf})
    assert deleted.is_success and 'data-variant="fr/praise/6.j2"' not in deleted.text
    running.refresh()
    assert "replies/fr/praise/6.j2" not in running.renderer.variants("praise", "fr")
    actions = [e.after for e in audit(team, "template.revert")]
    assert actions[0]["origin"] == "shipped" and actions[1] is None
    assert [e.entity_id for e in audit(team, "template.add")] == ["fr/praise/6.j2"]


def test_names_from_the_url_never_become_other_paths(team: Team) -> None:
    admin, csrf = team.client("root")
    for url in (
        "/admin/templates/de/praise/1.j2",
        "/admin/templates/fr/nope/1.j2",
        "/admin/templates/fr/praise/1.py",
        "/admin/templates/fr/praise/..%2F..%2Fx.j2",
        "/admin/templates/fr/praise/0.j2",
    ):
        assert admin.get(url).status_code == 404, url
        posted = admin.post(url, data={"source": NEW_PRAISE, "csrf_token": csrf})
        assert posted.status_code == 404, url
    assert not (data_dir(team) / "templates").exists()


KNOWLEDGE = """
[[entry]]
id = "chats"
questions = ["Acceptez-vous les chats en boutique ?", "Les animaux sont admis en magasin ?"]
answer = "Oui, nos boutiques accueillent les animaux tenus en laisse ou en sac."
"""


def test_the_knowledge_base_is_edited_validated_and_picked_up(team: Team) -> None:
    before = shipped_digest()
    running = Drafter(team.app.state.console.settings)
    question = "vous acceptez les chats dans vos boutiques ?"
    assert running.knowledge.answer(question, "fr", 0.5) is None
    admin, csrf = team.client("root")
    page = admin.get("/admin/knowledge").text
    assert 'id="knowledge-fr"' in page and 'id="knowledge-en"' in page
    broken = KNOWLEDGE + '\n[[entry]]\nid = "vide"\nquestions = ["Et alors ?"]\n'
    refused = admin.post("/admin/knowledge/fr", data={"text": broken, "csrf_token": csrf})
    assert refused.status_code == 422
    assert "entry 2 (vide): &#39;answer&#39; is missing" in refused.text
    assert "Acceptez-vous les chats" in refused.text  # the text as typed
    not_toml = admin.post(
        "/admin/knowledge/fr", data={"text": 'id = "x"\nid = "y"\n', "csrf_token": csrf}
    )
    assert not_toml.status_code == 422 and "line 2" in not_toml.text
    assert not (data_dir(team) / "knowledge").exists()
    saved = admin.post("/admin/knowledge/fr", data={"text": KNOWLEDGE, "csrf_token": csrf})
    assert saved.is_success and "(1 entries)" in saved.text
    assert (data_dir(team) / "knowledge/fr.toml").read_text() == KNOWLEDGE
    assert shipped_digest() == before
    running.refresh()
    match = running.knowledge.answer(question, "fr", 0.5)
    assert match is not None and match.entry.id == "chats"
    (event,) = audit(team, "knowledge.save")
    assert event.entity_id == "fr" and event.after["text"] == KNOWLEDGE
    assert "[[entry]]" in event.before["text"]
    admin.post("/admin/knowledge/fr/revert", data={"csrf_token": csrf})
    assert not (data_dir(team) / "knowledge/fr.toml").exists()
    running.refresh()
    assert running.knowledge.answer(question, "fr", 0.5) is None
    assert len(audit(team, "knowledge.revert")) == 1
