"""The console in a real browser: headless Chromium driven by Playwright against a real
uvicorn server, with replies published to the sandbox's X API through the real outbox.

Set ECOUTE_UPDATE_SCREENSHOTS=1 to refresh docs/queue.png and docs/dashboard.png.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ecoute.console.accounts import create_user
from ecoute.console.app import create_app
from ecoute.core.db import make_engine, make_session_factory, session_scope, upgrade
from ecoute.core.domain import Action, CommentStatus, DraftStatus, Role
from ecoute.core.models import (
    CaseFollowUp,
    Classification,
    Comment,
    Draft,
    Source,
    User,
)
from ecoute.responders.flows import draft_pending
from tests.conftest import make_settings, missing_part

pytestmark = pytest.mark.browser


def migrated(url: str) -> sessionmaker[Session]:
    """A database brought up to the newest schema by the real migrations."""
    engine = make_engine(url)
    upgrade(engine)
    return make_session_factory(engine)


CHROMIUM = os.environ.get("ECOUTE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-sync",
    "--metrics-recording-only",
    "--no-first-run",
]
PASSWORD = "correct horse battery"
DOCS = Path(__file__).resolve().parents[2] / "docs"
WAIT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        missing_part(f"Chromium not found at {CHROMIUM}; apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_part("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


class LiveServer:
    """uvicorn serving the console on a free port, in a thread, until `stop`."""

    def __init__(self, app: Any) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self._started = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self._started.wait(20):
            raise RuntimeError("the console server did not start")

    def _run(self) -> None:
        original = self.server.startup

        async def startup(sockets: Any = None) -> None:
            await original(sockets=sockets)
            self._started.set()

        self.server.startup = startup  # type: ignore[method-assign]
        self.server.run(sockets=[self.socket])

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.socket.close()


@dataclass
class Console:
    url: str
    factory: sessionmaker[Session]
    source_id: int
    settings: Any


def add_case(
    session: Session,
    source_id: int,
    external_id: str,
    text: str,
    *,
    category: str = "complaint",
    action: str = Action.REPLY,
    reply: str | None = "Bonjour, je suis désolée pour ce souci. Écrivez-nous en message privé.",
    platform: str = "x",
    language: str = "fr",
    handle: str = "lea_m",
    name: str | None = "Léa",
    followers: int = 120,
    age: timedelta = timedelta(minutes=5),
    thread_id: str | None = None,
    flags: tuple[str, ...] = (),
    now: datetime | None = None,
) -> int:
    now = now or datetime.now(UTC)
    comment = Comment(
        source_id=source_id,
        platform=platform,
        external_id=external_id,
        thread_id=thread_id,
        author_id=handle,
        author_handle=handle,
        author_name=name,
        author_followers=followers,
        text=text,
        language=language,
        created_at=now - age,
        status=CommentStatus.QUEUED,
        raw={},
    )
    session.add(comment)
    session.flush()
    session.add(
        Classification(
            comment_id=comment.id,
            category=category,
            confidence=0.87,
            probabilities={category: 0.87},
            flags=list(flags),
            language=language,
            model_version="test-model",
        )
    )
    deadline = {"complaint": 60, "service_question": 240, "insult": 120}.get(category, 1440)
    draft = Draft(
        comment_id=comment.id,
        action=action,
        category=category,
        language=language,
        text=reply if action == Action.REPLY else None,
        original_text=reply if action == Action.REPLY else None,
        findings=[],
        due_at=comment.created_at + timedelta(minutes=deadline),
        created_at=comment.created_at + timedelta(seconds=5),
    )
    session.add(draft)
    session.flush()
    return draft.id


def build_console(tmp_path: Path, *, platform: str = "replay") -> tuple[Console, Any]:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'ecoute.db'}")
    factory = migrated(settings.database_url())
    with session_scope(factory) as session:
        for username, role, language in (
            ("camille", Role.APPROVER, "fr"),
            ("theo", Role.AGENT, "en"),
        ):
            create_user(
                session,
                username=username,
                password=PASSWORD,
                display_name=username.title(),
                role=role,
                language=language,
            )
        source = Source(
            name="sandbox-x" if platform == "x" else "demo-feed",
            platform=platform,
            account="Fibrelle",
            cursor={},
            rate_limit={},
        )
        session.add(source)
        session.flush()
        source_id = source.id
    app = create_app(settings, factory)
    return Console("", factory, source_id, settings), app


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Console, LiveServer]]:
    console, app = build_console(tmp_path)
    server = LiveServer(app)
    console.url = server.url
    try:
        yield console, server
    finally:
        server.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    dialogs: list[str] = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    opened.dialogs = dialogs
    yield opened
    context.close()


def sign_in(page: Any, url: str, username: str = "camille") -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{url}/queue")
    page.wait_for_selector("body[data-ready='1']")


def draft_state(factory: sessionmaker[Session], draft_id: int) -> Draft:
    with session_scope(factory) as session:
        draft = session.get_one(Draft, draft_id)
        session.expunge(draft)
        return draft


def test_approve_from_the_keyboard_publishes_in_the_sandbox(
    tmp_path: Path, browser: Any, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecoute.platforms.registry import build_adapter
    from ecoute.platforms.sandbox import demo_sources, prepare_demo, start_sandbox
    from ecoute.responders.outbox import publish_approved

    sandbox = start_sandbox()
    try:
        for name, value in prepare_demo(sandbox).items():
            monkeypatch.setenv(name, value)
        root = sandbox.x.post("Fibrelle", "Notre nouvelle offre fibre est là")
        text = "@Fibrelle plus d'internet depuis ce matin"
        tweet = sandbox.x.post("lea_m", text, reply_to=root.id)
        console, app = build_console(tmp_path, platform="x")
        with session_scope(console.factory) as session:
            draft_id = add_case(
                session,
                console.source_id,
                str(tweet.id),
                "@Fibrelle plus d'internet depuis ce matin",
                thread_id=str(root.id),
            )
        server = LiveServer(app)
        try:
            sign_in(page, server.url)
            item = page.locator(f"#draft-{draft_id}")
            item.wait_for()
            assert page.evaluate("document.activeElement.id") == f"draft-{draft_id}"
            page.keyboard.press("e")
            assert page.evaluate("document.activeElement.tagName") == "TEXTAREA"
            page.keyboard.press("Escape")
            page.keyboard.press("a")
            page.wait_for_selector("p.flash")
            assert "Brouillon approuvé" in page.inner_text("p.flash")
        finally:
            server.stop()
        assert draft_state(console.factory, draft_id).status == DraftStatus.APPROVED
        adapter = build_adapter(demo_sources(sandbox)[0])
        report = publish_approved(console.factory, lambda _source_id: adapter)
        assert report.published == 1
        replies = sandbox.x_replies()
        assert [r["in_reply_to"] for r in replies] == [str(tweet.id)]
        assert replies[0]["text"].startswith("Bonjour")
        assert draft_state(console.factory, draft_id).status == DraftStatus.PUBLISHED
    finally:
        sandbox.stop()


def test_editing_shows_the_findings_as_the_cm_types(live: Any, page: Any) -> None:
    console, server = live
    with session_scope(console.factory) as session:
        draft_id = add_case(session, console.source_id, "1", "Ma box ne marche plus")
    sign_in(page, server.url, "theo")
    textarea = page.locator(f"#draft-{draft_id} textarea")
    textarea.fill("Envoyez-nous votre numéro de téléphone ici, c'est contre notre politique.")
    page.wait_for_selector(f"#findings-{draft_id} [data-name='defensive_phrase']")
    assert page.locator(f"#findings-{draft_id} [data-name='empathy_missing']").count() == 1
    textarea.fill(
        "Bonjour Léa, je suis désolée pour cette panne. Écrivez-nous en message privé, "
        "nous regardons votre ligne."
    )
    page.wait_for_selector(f"#findings-{draft_id} [data-name='defensive_phrase']", state="detached")
    page.click(f"#draft-{draft_id} button[formaction$='/edit']")
    page.wait_for_selector("p.flash")
    saved = draft_state(console.factory, draft_id)
    assert saved.text.startswith("Bonjour Léa") and saved.edited_by_id == 2
    assert saved.status == DraftStatus.PENDING


def test_reclassify_from_the_keyboard(live: Any, page: Any) -> None:
    console, server = live
    with session_scope(console.factory) as session:
        draft_id = add_case(session, console.source_id, "1", "Vous êtes des incapables")
    sign_in(page, server.url)
    page.keyboard.press("c")
    select_box = page.locator(f"#draft-{draft_id} select[name=category]")
    assert page.evaluate("document.activeElement.name") == "category"
    select_box.select_option("insult")
    select_box.press("Enter")
    page.wait_for_selector("p.flash")
    with session_scope(console.factory) as session:
        cm = session.scalars(select(Classification).where(Classification.origin == "cm")).one()
        assert (cm.category, cm.created_by_id) == ("insult", 1)


HOSTILE_TEXTS = [
    "<script>window.__pwned = 1; alert('xss')</script> ma box",
    '<img src=x onerror="window.__pwned = 2; alert(2)"> toujours en panne',
    "\u202eenilno ton si xob yM\u202c et \u200bzéro\u200b\u200dlargeur\u2066 فاتورة خاطئة",
    "trop long " * 1000,
]


def test_hostile_comments_render_inert_and_the_page_stays_usable(live: Any, page: Any) -> None:
    console, server = live
    with session_scope(console.factory) as session:
        ids = [
            add_case(
                session,
                console.source_id,
                str(i),
                text,
                handle=f"<b>user{i}</b>",
                name='"><svg onload=alert(3)>',
                age=timedelta(minutes=50 - i),
            )
            for i, text in enumerate(HOSTILE_TEXTS)
        ]
    sign_in(page, server.url)
    for draft_id in ids:
        page.locator(f"#draft-{draft_id}").wait_for()
    assert page.evaluate("window.__pwned") is None
    assert page.dialogs == []
    assert page.locator(".comment img, .comment script, .comment svg, .comment b").count() == 0
    first = page.inner_text(f"#draft-{ids[0]} .comment .text")
    assert first.startswith("<script>")
    long_box = page.locator(f"#draft-{ids[3]} .comment").bounding_box()
    assert long_box is not None and long_box["width"] <= 1280
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.id") == f"draft-{ids[1]}"
    page.keyboard.press("a")
    page.wait_for_selector("p.flash")
    assert draft_state(console.factory, ids[1]).status == DraftStatus.APPROVED
    assert page.evaluate("window.__pwned") is None and page.dialogs == []


def test_an_agent_cannot_reach_approver_actions(live: Any, page: Any) -> None:
    console, server = live
    with session_scope(console.factory) as session:
        draft_id = add_case(session, console.source_id, "1", "Facture en double ce mois-ci")
    sign_in(page, server.url, "theo")
    item = page.locator(f"#draft-{draft_id}")
    item.wait_for()
    assert item.locator("button[data-key='a']").count() == 0
    assert item.locator("form.reject").count() == 0
    page.keyboard.press("a")
    token = page.get_attribute("input[name=csrf_token]", "value")
    forced = page.request.post(
        f"{server.url}/drafts/{draft_id}/approve",
        form={"csrf_token": token},
        headers={"accept": "text/html"},
    )
    assert forced.status == 403
    assert page.request.get(f"{server.url}/admin/users").status == 403
    assert draft_state(console.factory, draft_id).status == DraftStatus.PENDING


def test_a_post_without_its_csrf_token_is_refused(live: Any, page: Any) -> None:
    console, server = live
    with session_scope(console.factory) as session:
        draft_id = add_case(session, console.source_id, "1", "Où en est ma commande ?")
    sign_in(page, server.url)
    bare = page.request.post(f"{server.url}/drafts/{draft_id}/approve", form={"text": "pirate"})
    wrong = page.request.post(
        f"{server.url}/drafts/{draft_id}/approve", form={"csrf_token": "forged", "text": "x"}
    )
    assert (bare.status, wrong.status) == (403, 403)
    page.evaluate(
        """id => { const form = document.querySelector(`#draft-${id} form.approve`);
                   form.querySelector('input[name=csrf_token]').remove(); form.submit(); }""",
        draft_id,
    )
    page.wait_for_selector("#back")
    assert draft_state(console.factory, draft_id).status == DraftStatus.PENDING


SHOWCASE = [
    ("complaint", "fr", "Plus d'internet depuis hier soir à Lyon, 3e fois ce mois-ci !",
     "nina_lyon", "Nina", 5400, 20, ()),
    ("service_question", "fr", "Bonjour, comment changer l'adresse de facturation ?",
     "paul.b", "Paul", 85, 35, ()),
    ("complaint", "en", "Been waiting 3 weeks for my router. Nobody answers the phone.",
     "sam_k", "Sam", 210, 70, ()),
    ("insult", "fr", "Bande d'escrocs, je vais venir vous régler votre compte",
     "anon4412", None, 12, 15, ("threat",)),
    ("general_opinion", "fr", "Bof, la nouvelle box est plus lente que l'ancienne",
     "claire_m", "Claire", 640, 90, ()),
]  # fmt: skip


def seed_showcase(factory: sessionmaker[Session], source_id: int, settings: Any) -> None:
    """A queue and two weeks of history that look like a working day. The queue's drafts
    are written by the real responder, so the screenshot shows what Écoute writes."""
    now = datetime.now(UTC)
    with session_scope(factory) as session:
        for i, (category, language, text, handle, name, followers, age, flags) in enumerate(
            SHOWCASE
        ):
            comment = Comment(
                source_id=source_id,
                platform="x",
                external_id=f"show-{i}",
                author_id=handle,
                author_handle=handle,
                author_name=name,
                author_followers=followers,
                text=text,
                language=language,
                created_at=now - timedelta(minutes=age),
                status=CommentStatus.CLASSIFIED,
                raw={},
            )
            session.add(comment)
            session.flush()
            session.add(
                Classification(
                    comment_id=comment.id,
                    category=category,
                    confidence=0.87,
                    probabilities={category: 0.87},
                    flags=list(flags),
                    language=language,
                    model_version="showcase",
                )
            )
    draft_pending(factory, settings)
    with session_scope(factory) as session:
        camille = session.scalars(select(User).where(User.username == "camille")).one()
        categories = ["complaint", "service_question", "general_opinion", "complaint", "insult"]
        for day in range(14):
            for n in range(6 + (day * 7) % 9):
                category = categories[(day + n) % len(categories)]
                created = now - timedelta(days=day, hours=2 + n)
                draft_id = add_case(
                    session,
                    source_id,
                    f"hist-{day}-{n}",
                    "Toujours des coupures de fibre le soir" if n % 3 else "Merci pour l'aide",
                    category=category,
                    language="fr" if n % 4 else "en",
                    platform="x" if n % 2 else "facebook",
                    handle=f"user{day}{n}",
                    now=created,
                    age=timedelta(0),
                )
                draft = session.get_one(Draft, draft_id)
                draft.status = DraftStatus.PUBLISHED
                draft.reviewed_by_id = camille.id
                draft.reviewed_at = created + timedelta(minutes=10 + n * 9)
                draft.published_at = created + timedelta(minutes=12 + n * 9)
                draft.comment.status = CommentStatus.RESOLVED
                if n % 3 == 0:
                    session.add(
                        CaseFollowUp(
                            comment_id=draft.comment_id,
                            resolved_at=created + timedelta(hours=5),
                            resolved_by_id=camille.id,
                            score=3 + (n + day) % 3,
                            score_origin="customer",
                            scored_at=created + timedelta(hours=9),
                        )
                    )


def test_queue_and_dashboard_screenshots(live: Any, page: Any, tmp_path: Path) -> None:
    console, server = live
    seed_showcase(console.factory, console.source_id, console.settings)
    sign_in(page, server.url)
    first = page.locator(".item").first
    assert "crisis" in (first.get_attribute("class") or "")
    page.locator(".item textarea").first.press("End")
    page.keyboard.press("Escape")
    page.evaluate("window.scrollTo(0, 0)")
    queue_png = tmp_path / "queue.png"
    page.screenshot(path=str(queue_png), full_page=False)
    page.goto(f"{server.url}/dashboard?days=30")
    page.wait_for_selector("body[data-charts='ready']")
    assert int(page.inner_text("#total")) > 60
    dashboard_png = tmp_path / "dashboard.png"
    page.screenshot(path=str(dashboard_png), full_page=True)
    page.goto(f"{server.url}/report/weekly")
    assert page.locator("#people").inner_text().count("Camille") == 1
    if os.environ.get("ECOUTE_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copy(queue_png, DOCS / "queue.png")
        shutil.copy(dashboard_png, DOCS / "dashboard.png")
