"""Scheduled jobs are counted per process (a failing job shows on the health page), and
the weekly report reaches the supervisors with the week's figures."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from ecoute.console.jobs import JOB_EVENTS, job_listener
from ecoute.console.service import open_database
from ecoute.console.weekly import send_weekly_report
from ecoute.core.db import session_scope
from ecoute.core.domain import CommentStatus, DraftStatus
from ecoute.core.models import Classification, Comment, Draft, JobState, Source
from ecoute.core.settings import AlertSettings, CrisisContact, CrisisSettings, EmailSettings
from ecoute.monitor.delivery import Notifier
from tests.conftest import make_settings
from tests.monitor.receivers import smtp_server


def test_job_runs_and_failures_are_recorded(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url)
    _engine, factory = open_database(settings, migrate=True)
    done = threading.Semaphore(0)
    listener = job_listener(factory, "worker-a")

    def listen(event) -> None:
        listener(event)
        done.release()

    def broken() -> None:
        raise RuntimeError("the platform said no")

    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_listener(listen, JOB_EVENTS)
    scheduler.start()
    try:
        now = datetime.now(UTC)
        scheduler.add_job(lambda: None, id="poll", next_run_time=now)
        scheduler.add_job(broken, id="outbox", next_run_time=now)
        assert done.acquire(timeout=30) and done.acquire(timeout=30)
    finally:
        scheduler.shutdown(wait=True)
    with session_scope(factory) as session:
        states = {s.job_id: s for s in session.scalars(select(JobState))}
    assert set(states) == {"poll", "outbox"}
    assert (states["poll"].runs, states["poll"].failures) == (1, 0)
    assert states["poll"].last_success_at is not None and states["poll"].last_error is None
    assert (states["outbox"].runs, states["outbox"].failures) == (1, 1)
    assert states["outbox"].last_error == "RuntimeError: the platform said no"
    assert {s.owner for s in states.values()} == {"worker-a"}


def test_weekly_report_reaches_the_supervisor(tmp_path: Path, sqlite_url: str) -> None:
    with smtp_server() as inbox:
        settings = make_settings(
            tmp_path,
            sqlite_url,
            crisis=CrisisSettings(
                contacts=[CrisisContact(name="Astreinte", email="crise@fibrelle.example")],
                supervisors=[CrisisContact(name="Chef", email="chef@fibrelle.example")],
            ),
            alerts=AlertSettings(
                email=EmailSettings(
                    host="127.0.0.1",
                    port=inbox.port,
                    sender="ecoute@fibrelle.example",
                    security="insecure",
                )
            ),
        )
        _engine, factory = open_database(settings, migrate=True)
        now = datetime.now(UTC)
        with session_scope(factory) as session:
            source = Source(name="x", platform="x", account="F", cursor={}, rate_limit={})
            session.add(source)
            session.flush()
            for index, category in enumerate(["complaint"] * 3 + ["service_question"]):
                comment = Comment(
                    source_id=source.id,
                    platform="x",
                    external_id=str(index),
                    author_id="a",
                    author_handle="a",
                    text="panne de fibre encore",
                    language="fr",
                    created_at=now - timedelta(hours=index + 1),
                    status=CommentStatus.QUEUED,
                )
                session.add(comment)
                session.flush()
                session.add(
                    Classification(
                        comment_id=comment.id,
                        category=category,
                        confidence=0.9,
                        probabilities={},
                        flags=[],
                        language="fr",
                        model_version="t",
                    )
                )
                session.add(
                    Draft(
                        comment_id=comment.id,
                        action="reply",
                        category=category,
                        text="Bonjour",
                        status=DraftStatus.PENDING,
                        due_at=now + timedelta(hours=1),
                    )
                )

        assert send_weekly_report(factory, settings, Notifier.from_settings(settings), now=now)
    assert [str(m["To"]) for m in inbox.messages] == ["chef@fibrelle.example"]
    body = inbox.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert "rapport de la semaine pour Fibrelle" in body
    assert "Commentaires reçus : 4" in body
    assert "complaint : 3" in body and "service_question : 1" in body
