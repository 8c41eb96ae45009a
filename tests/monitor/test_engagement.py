"""Reactions read again after ingest, through the real adapters and the sandbox: a
complaint whose reactions climb fast raises one viral alert; praise and slow growth do not."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ecoute.console.service import Service, open_database
from ecoute.core.db import session_scope
from ecoute.core.models import Alert, Comment
from ecoute.monitor.engagement import engagement_due, refresh_engagement
from ecoute.platforms.sandbox import Sandbox, demo_sources, prepare_demo, start_sandbox
from tests.conftest import make_settings


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    saved = dict(os.environ)
    with start_sandbox() as running:
        os.environ.update(prepare_demo(running))
        yield running
    os.environ.clear()
    os.environ.update(saved)


def test_fast_growing_complaint_alerts_once(
    tmp_path: Path,
    database_url: str,
    sandbox: Sandbox,
    classifier,
) -> None:
    now = datetime.now(UTC)
    root = sandbox.x.post("Fibrelle", "Nouvelle offre fibre", at=now - timedelta(hours=1))
    complaint = sandbox.x.post(
        "marc_l",
        "@Fibrelle 10 jours sans internet, aucun technicien, c'est honteux",
        reply_to=root.id,
        at=now - timedelta(minutes=30),
        likes=3,
    )
    praise = sandbox.x.post(
        "julie",
        "@Fibrelle super la nouvelle offre, merci !",
        reply_to=root.id,
        at=now - timedelta(minutes=20),
    )
    post = sandbox.graph.add_post("104857600", "Nouvelle offre", at=now - timedelta(hours=1))
    slow = sandbox.graph.add_comment(
        post.id,
        "Toujours pas de connexion depuis lundi, personne ne répond",
        author_id="f1",
        author_name="Anne",
        at=now - timedelta(minutes=10),
    )
    settings = make_settings(tmp_path, database_url, sources=demo_sources(sandbox))
    _engine, factory = open_database(settings, migrate=True)
    service = Service.build(settings, factory)
    service.classifier = classifier
    for source_id in service.adapters:
        service.poll(source_id)
    service.process()

    sandbox.x.engage(complaint.id, likes=45, retweets=12)
    sandbox.x.engage(praise.id, likes=600)
    sandbox.graph.engage(slow.id, likes=4)
    later = now + timedelta(minutes=20)
    alerted: list[int] = []
    for source_id, adapter in service.adapters.items():
        assert engagement_due(factory, source_id, settings, later)
        alerted += refresh_engagement(factory, source_id, adapter, settings, now=later)
        assert not engagement_due(factory, source_id, settings, later + timedelta(minutes=1))

    with session_scope(factory) as session:
        stored = {c.external_id: c for c in session.scalars(select(Comment))}
        alerts = session.scalars(select(Alert).where(Alert.kind == "viral")).all()
        assert [a.comment_id for a in alerts] == [stored[str(complaint.id)].id] == alerted
        assert alerts[0].data["growth"] == 57 and alerts[0].data["engagement"] == 60
        assert (stored[str(complaint.id)].like_count, stored[str(complaint.id)].share_count) == (
            48,
            12,
        )
        assert stored[slow.id].like_count == 4, "slow growth is recorded, not alerted"

    sandbox.x.engage(complaint.id, likes=200)  # still climbing: the same alert, refreshed
    for source_id, adapter in service.adapters.items():
        refresh_engagement(factory, source_id, adapter, settings, now=later + timedelta(minutes=10))
    with session_scope(factory) as session:
        alert = session.scalars(select(Alert).where(Alert.kind == "viral")).one()
        assert alert.data["occurrences"] == 2 and alert.data["engagement"] == 260
