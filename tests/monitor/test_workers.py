"""Several `ecoute worker` processes on one PostgreSQL database, one killed at a time with
SIGKILL: every comment is stored once and every approved reply is published once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ecoute.console.accounts import create_user
from ecoute.core.db import make_engine, make_session_factory, session_scope, upgrade
from ecoute.core.domain import Action, CommentStatus, DraftStatus, Role
from ecoute.core.models import Classification, Comment, Draft
from ecoute.core.settings import SourceSettings
from ecoute.platforms.sandbox import Sandbox, demo_sources, prepare_demo, start_sandbox
from ecoute.responders.review import approve
from tests.conftest import wait_for

PER_PLATFORM = 90
DB_ENV = "ECOUTE_TEST_WORKERS_DATABASE_URL"


def source_block(source: SourceSettings) -> str:
    lines = ["[[sources]]"]
    for key in ("name", "platform", "account", "token_env", "user_token_env", "api_url"):
        value = getattr(source, key)
        if value is not None:
            lines.append(f'{key} = "{value}"')
    lines.append(f"poll_interval = {source.poll_interval}")
    return "\n".join(lines)


def write_config(tmp_path: Path, sandbox: Sandbox) -> Path:
    config = tmp_path / "config.toml"
    sources = "\n\n".join(source_block(s) for s in demo_sources(sandbox, poll_interval=5))
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        '[brand]\nname = "Fibrelle"\n'
        f'[database]\nurl_env = "{DB_ENV}"\n'
        "[pipeline]\nbatch_size = 20\npoll_lease_seconds = 5\npublish_lease_seconds = 5\n\n"
        f"{sources}\n",
        encoding="utf-8",
    )
    return config


def post_comments(sandbox: Sandbox) -> None:
    root = sandbox.x.post("Fibrelle", "Maintenance du réseau cette nuit à Lyon")
    for index in range(PER_PLATFORM):
        sandbox.x.post(
            f"client{index}",
            f"@Fibrelle toujours pas de connexion chez moi depuis ce matin, ligne {index} 😡",
            reply_to=root.id,
        )
    post = sandbox.graph.add_post("104857600", "Maintenance du réseau cette nuit")
    for index in range(PER_PLATFORM):
        sandbox.graph.add_comment(
            post.id,
            f"Ma box ne fonctionne plus depuis hier soir, c'est inadmissible ({index})",
            author_id=f"fb-{index}",
            author_name=f"Client {index}",
        )


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with start_sandbox() as running:
        yield running


def test_three_workers_one_killed_at_a_time(
    tmp_path: Path, postgres_url: str, sandbox: Sandbox
) -> None:
    env = {
        **os.environ,
        **prepare_demo(sandbox),
        DB_ENV: postgres_url,
        "ECOUTE_LOG_LEVEL": "WARNING",
    }
    config = write_config(tmp_path, sandbox)
    engine = make_engine(postgres_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    post_comments(sandbox)

    def start(index: int) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"worker{index}.log").open("wb")
        return subprocess.Popen(
            [sys.executable, "-m", "ecoute.console.cli", "worker", "--config", str(config)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def count(statement: Any) -> int:
        with session_scope(factory) as session:
            return session.scalar(statement) or 0

    workers = [start(index) for index in range(3)]
    try:
        # Kill one worker while the comments are being classified.
        classified = select(func.count()).select_from(Classification)
        wait_for(lambda: count(classified) > 0, 90, "the first classifications")
        workers[0].send_signal(signal.SIGKILL)
        handled = (
            select(func.count())
            .select_from(Comment)
            .where(Comment.status.in_([CommentStatus.QUEUED, CommentStatus.NO_ACTION]))
        )
        wait_for(lambda: count(handled) == 2 * PER_PLATFORM, 120, "every comment drafted")

        with session_scope(factory) as session:
            camille = create_user(
                session,
                username="camille",
                password="correct horse 42",
                display_name="Camille",
                role=Role.APPROVER,
            )
            replies = session.scalars(
                select(Draft).where(
                    Draft.action == Action.REPLY, Draft.status == DraftStatus.PENDING
                )
            ).all()
            for draft in replies:
                approve(session, draft, camille)
            approved = len(replies)
        assert approved >= PER_PLATFORM, "the outage complaints get reply drafts"

        # Kill a second worker while replies are being published.
        published = (
            select(func.count()).select_from(Draft).where(Draft.status == DraftStatus.PUBLISHED)
        )
        wait_for(lambda: count(published) > 0, 60, "the first published reply")
        workers[1].send_signal(signal.SIGKILL)
        wait_for(lambda: count(published) == approved, 120, "every approved reply published")
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)

    assert workers[2].returncode == 0, (tmp_path / "worker2.log").read_text()[-3000:]
    with session_scope(factory) as session:
        assert session.scalar(select(func.count()).select_from(Comment)) == 2 * PER_PLATFORM
        per_comment = (
            select(Classification.comment_id, func.count().label("n"))
            .group_by(Classification.comment_id)
            .subquery()
        )
        assert session.scalar(select(func.max(per_comment.c.n))) == 1
        reply_ids = set(
            session.scalars(select(Draft.external_reply_id).where(Draft.action == Action.REPLY))
        )
    on_platforms = sandbox.x_replies() + sandbox.graph_replies()
    assert len(on_platforms) == approved
    assert sandbox.double_published() == 0
    assert reply_ids == {reply["id"] for reply in on_platforms}
    engine.dispose()
