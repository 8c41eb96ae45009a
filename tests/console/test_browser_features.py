"""Incidents, the alert acknowledgement link and the template and knowledge editors, in a
real browser (headless Chromium through Playwright) against a real uvicorn server."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ecoute.console.accounts import create_user
from ecoute.core.db import session_scope
from ecoute.core.domain import Role
from ecoute.core.keys import instance_secret_key
from ecoute.core.models import Alert, AuditEvent, IncidentPost
from ecoute.monitor.delivery import compose
from tests.console import test_browser as shared
from tests.console.test_browser import PASSWORD, sign_in

pytestmark = pytest.mark.browser

# The browser, the live server and the page are the ones the other browser tests use.
browser = shared.browser
live = shared.live
page = shared.page


def add_admin(console: Any) -> None:
    with session_scope(console.factory) as session:
        create_user(
            session,
            username="root",
            password=PASSWORD,
            display_name="Root",
            role=Role.ADMIN,
            language="fr",
        )


def test_declare_and_resolve_an_incident(live: Any, page: Any) -> None:
    console, server = live
    sign_in(page, server.url)
    page.click("nav a[href='/incidents']")
    page.wait_for_selector("#declare")
    page.fill("input[name=title]", "Panne fibre Lyon")
    page.fill("textarea[name=summary_fr]", "Une panne touche la fibre à Lyon depuis 9 h")
    page.fill("textarea[name=summary_en]", "An outage has affected fibre in Lyon since 9am")
    page.fill("input[name=keywords]", "panne*, outage")
    page.fill("input[name=status_url]", "https://status.fibrelle.example")
    page.click("#declare-incident")
    page.wait_for_selector("#incident[data-status='active']")
    assert "Incident déclaré" in page.inner_text("p.flash")
    posts = page.locator("li.post[data-kind='declared']")
    assert posts.count() == 4
    assert page.locator("li.post[data-platform='x'] .length").first.inner_text().endswith("/280")
    assert page.locator("li.post .no-findings, li.post .finding").count() >= 4
    page.fill("textarea[name=resolution_fr]", "Un équipement a été remplacé")
    page.click("#resolve-incident button[type=submit]")
    page.wait_for_selector("#incident[data-status='resolved']")
    assert page.locator("li.post[data-kind='resolved']").count() == 4
    with session_scope(console.factory) as session:
        kinds = sorted(p.kind for p in session.scalars(select(IncidentPost)))
        assert kinds == ["declared"] * 4 + ["resolved"] * 4


def test_the_alert_link_acknowledges_only_when_the_button_is_pressed(live: Any, page: Any) -> None:
    console, server = live
    with session_scope(console.factory) as session:
        alert = Alert(kind="spike", title="Pic de réclamations", dedup_key="spike:1", data={})
        session.add(alert)
        session.flush()
        body = compose(
            alert,
            [],
            settings=console.settings,
            secret_key=instance_secret_key(console.settings),
        )
    link = re.search(r"https?://\S+?(/alerts/ack/\S+)", body)
    assert link is not None
    response = page.goto(server.url + link.group(1))
    assert response is not None and response.headers["referrer-policy"] == "no-referrer"
    page.wait_for_selector("#ack-confirm")
    with session_scope(console.factory) as session:
        assert session.get_one(Alert, alert.id).status == "open"
    page.click("#ack-confirm")
    page.wait_for_selector("#ack-done")
    with session_scope(console.factory) as session:
        assert session.get_one(Alert, alert.id).status == "acknowledged"
        event = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "alert")).one()
        assert event.after == {"status": "acknowledged", "via": "link"}
    page.goto(server.url + link.group(1)[:-3] + "xyz")
    page.wait_for_selector("#ack-error")


def test_an_admin_edits_a_template_and_the_knowledge_base(live: Any, page: Any) -> None:
    console, server = live
    add_admin(console)
    sign_in(page, server.url, "root")
    page.click("nav a[href='/admin/templates']")
    page.click("a[data-variant='fr/praise/1.j2']")
    page.wait_for_selector("#template-preview .preview[data-platform='x']")
    source = page.locator("textarea[name=source]")
    source.fill("Merci {{ author }} !\n{{ client.nom }}")
    page.wait_for_selector("#template-error[data-line='2']")
    source.fill("Merci {{ author }}, mais c'est contre notre politique. {{ signature }}")
    page.wait_for_selector("#template-preview [data-platform='x'] [data-name='defensive_phrase']")
    assert "Merci Marie, mais" in page.inner_text("#template-preview [data-platform='x'] .text")
    edited = Path(console.settings.data_path) / "templates/replies/fr/praise/1.j2"
    assert not edited.exists()
    source.fill("Merci {{ author }}, toute l'équipe est ravie ! {{ signature }}")
    page.click("#template-save")
    page.wait_for_selector("#template-revert")
    assert "Modèle enregistré" in page.inner_text("p.flash")
    assert edited.read_text() == "Merci {{ author }}, toute l'équipe est ravie ! {{ signature }}"
    page.click("#template-revert button")
    page.wait_for_selector("#template-revert", state="detached")
    assert not edited.exists()

    page.click("nav a[href='/admin/knowledge']")
    box = page.locator("#knowledge-fr textarea[name=text]")
    box.fill('[[entry]]\nid = "chats"\nquestions = ["Acceptez-vous les chats ?"]\n')
    page.click("#knowledge-fr button[type=submit]")
    page.wait_for_selector("#knowledge-error-fr")
    assert "entry 1 (chats)" in page.inner_text("#knowledge-error-fr")
    assert "Acceptez-vous les chats" in box.input_value()
    box.fill(box.input_value() + 'answer = "Oui, les animaux sont les bienvenus."\n')
    page.click("#knowledge-fr button[type=submit]")
    page.wait_for_selector("p.flash")
    assert "1 entrées" in page.inner_text("p.flash")
    assert (Path(console.settings.data_path) / "knowledge/fr.toml").exists()
