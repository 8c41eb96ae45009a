"""Crisis watch end to end: comments posted on the sandbox's X and Facebook are polled
through the real adapters, sorted by the shipped classifier, and exactly the expected
alerts reach a real SMTP server and a webhook on localhost."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ecoute.console.service import Service, open_database
from ecoute.core.db import session_scope
from ecoute.core.models import Alert, Comment, Draft
from ecoute.core.settings import (
    AlertSettings,
    CrisisContact,
    CrisisSettings,
    DeadlineSettings,
    EmailSettings,
)
from ecoute.platforms.sandbox import demo_sources, prepare_demo, start_sandbox
from tests.conftest import make_settings
from tests.monitor.receivers import smtp_server, webhook_receiver

BURST = [
    "@Fibrelle plus d'internet depuis ce matin à Lyon, c'est la troisième fois ce mois-ci",
    "@Fibrelle toujours aucune connexion, la box clignote rouge depuis 2h",
    "@Fibrelle fibre coupée dans tout le 7e arrondissement, vous faites quoi ???",
    "@Fibrelle impossible de travailler, plus de réseau depuis ce matin",
    "@Fibrelle panne générale ? plus rien ne marche chez moi depuis 9h",
    "@Fibrelle ça fait 3 heures que je n'ai plus internet, inadmissible",
    "@Fibrelle votre service client ne répond pas et je n'ai toujours pas de connexion",
    "@Fibrelle encore une coupure, j'en ai marre de payer pour rien",
    "@Fibrelle no internet since this morning in Lyon, what is going on?",
    "@Fibrelle my fibre has been down for hours and nobody answers the phone",
    "@Fibrelle internet down again, third outage this month, unacceptable",
    "@Fibrelle la connexion saute toutes les cinq minutes depuis hier soir",
    "@Fibrelle toujours en panne, et aucune info sur votre site",
    "@Fibrelle plus de télé ni d'internet depuis ce matin, c'est une honte",
]


def test_spike_threat_danger_reach_and_deadline_alert_exactly_once(
    tmp_path: Path,
    database_url: str,
    classifier,
) -> None:
    now = datetime.now(UTC)
    with start_sandbox() as sandbox, smtp_server() as inbox, webhook_receiver() as hook:
        os.environ.update(prepare_demo(sandbox))
        settings = make_settings(
            tmp_path,
            database_url,
            sources=demo_sources(sandbox, poll_interval=5),
            deadlines=DeadlineSettings(complaint=1440, service_question=60),
            crisis=CrisisSettings(
                contacts=[
                    CrisisContact(
                        name="Astreinte",
                        email="crise@fibrelle.example",
                        notify=[f"json://127.0.0.1:{hook.port}/alerts"],
                    )
                ],
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
        root = sandbox.x.post("Fibrelle", "Point sur le réseau", at=now - timedelta(hours=3))
        for index in range(24):  # a steady history: two complaints every ten minutes
            sandbox.x.post(
                f"habitue{index}",
                f"@Fibrelle ma connexion est lente ce soir encore (ligne {index})",
                reply_to=root.id,
                at=now - timedelta(minutes=15 + 5 * index),
            )
        for index, text in enumerate(BURST):  # the burst, in the last eight minutes
            sandbox.x.post(
                f"lyonnais{index}",
                text,
                reply_to=root.id,
                at=now - timedelta(minutes=8) + timedelta(seconds=30 * index),
            )
        sandbox.x.add_user("nico_techqc", followers=82_400, verified=True)
        sandbox.x.post(
            "nico_techqc",
            "@Fibrelle 3 jours sans internet et aucune réponse du "
            "service client, je déconseille à tout le monde",
            reply_to=root.id,
            at=now - timedelta(minutes=4),
        )
        sandbox.x.post(
            "question",
            "@Fibrelle bonjour, comment puis-je changer mon forfait ?",
            reply_to=root.id,
            at=now - timedelta(hours=2),
        )
        post = sandbox.graph.add_post(
            "104857600", "Travaux sur le réseau", at=now - timedelta(hours=1)
        )
        sandbox.graph.add_comment(
            post.id,
            "je vais venir à votre agence avec une batte et tout casser, vous allez le regretter",
            author_id="f1",
            author_name="Anonyme",
            at=now - timedelta(minutes=3),
        )
        sandbox.graph.add_comment(
            post.id,
            "Ma box a pris feu cette nuit, début d'incendie dans le salon. J'appelle mon avocat.",
            author_id="f2",
            author_name="Sophie",
            at=now - timedelta(minutes=2),
        )

        _engine, factory = open_database(settings, migrate=True)
        service = Service.build(settings, factory)
        service.classifier = classifier
        for source_id in service.adapters:
            assert service.poll(source_id) is not None
        service.process()
        service.process()  # a second pass finds nothing new and raises nothing new
        service.deliver_alerts()

        with session_scope(factory) as session:
            ids = {c.text[:40]: c.id for c in session.scalars(select(Comment))}
            x_source = next(
                c.source_id for c in session.scalars(select(Comment)) if c.platform == "x"
            )
            question_draft = session.scalars(
                select(Draft.id).join(Comment).where(Comment.author_handle == "question")
            ).one()
            keys = sorted(a.dedup_key for a in session.scalars(select(Alert)))
        threat = next(i for t, i in ids.items() if t.startswith("je vais venir"))
        fire = next(i for t, i in ids.items() if t.startswith("Ma box a pris feu"))
        reach = next(i for t, i in ids.items() if t.startswith("@Fibrelle 3 jours sans"))
        assert keys == sorted(
            [
                "spike:all",
                f"spike:source:{x_source}",
                f"threat:comment:{threat}",
                f"danger:comment:{fire}",
                f"viral:comment:{reach}",
                f"deadline:draft:{question_draft}",
            ]
        )

        recipients = sorted(str(message["To"]) for message in inbox.messages)
        assert recipients == ["chef@fibrelle.example"] + ["crise@fibrelle.example"] * 5
        assert len(hook.bodies) == 5
        spike_mail = next(
            m
            for m in inbox.messages
            if "spike" in str(m["Subject"]).lower() and "all sources" in str(m["Subject"])
        )
        body = spike_mail.get_body(preferencelist=("plain", "html")).get_content()
        assert "/alerts/ack/" in body and "Lyon" in body


@pytest.fixture(autouse=True)
def _restore_environment():
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
