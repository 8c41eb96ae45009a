"""Crisis watch: each rule raises exactly the expected alert, once, and delivery reaches
a real SMTP server and a webhook until someone acknowledges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scipy.stats import poisson
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ecoute.console.service import open_database
from ecoute.core.db import session_scope
from ecoute.core.domain import AlertStatus, CommentStatus, DraftStatus
from ecoute.core.models import Alert, Classification, Comment, Draft, Source
from ecoute.core.settings import AlertSettings, CrisisContact, CrisisSettings, EmailSettings
from ecoute.monitor.alerts import AlertError, acknowledge, alert_id_from_token, resolve
from ecoute.monitor.classification import classify_pending
from ecoute.monitor.delivery import Notifier, deliver_due
from ecoute.monitor.watch import check_deadlines, check_spikes, evaluate_spike, poisson_tail
from tests.conftest import make_settings
from tests.monitor.receivers import smtp_server, webhook_receiver

NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
SECRET = "test-secret-key"


def test_poisson_tail_matches_scipy() -> None:
    for count, mean in [(1, 0.5), (8, 1.2), (15, 4.0), (40, 20.0), (3, 3.0)]:
        assert poisson_tail(count, mean) == pytest.approx(poisson.sf(count - 1, mean), rel=1e-6)


def test_spike_needs_both_surprise_and_volume() -> None:
    assert evaluate_spike(15, [2, 3, 1, 2, 2, 3], min_count=8, p_value=0.001)[2]
    assert not evaluate_spike(5, [2, 3, 1, 2, 2, 3], min_count=8, p_value=0.001)[2]
    assert not evaluate_spike(4, [0] * 12, min_count=8, p_value=0.001)[2], "min_count guards"
    assert not evaluate_spike(30, [25, 31, 28, 27], min_count=8, p_value=0.001)[2], "usual volume"


def prepared(tmp_path: Path, database_url: str, **updates: object):
    settings = make_settings(tmp_path, database_url, **updates)
    _engine, factory = open_database(settings, migrate=True)
    with session_scope(factory) as session:
        for name in ("x-main", "fb-page"):
            session.add(Source(name=name, platform="replay", account="F", cursor={}, rate_limit={}))
    return settings, factory


def add_classified(
    session: Session,
    *,
    source_id: int,
    external_id: str,
    at: datetime,
    category: str,
    text: str = "ma fibre est coupée",
) -> Comment:
    comment = Comment(
        source_id=source_id,
        platform="x",
        external_id=external_id,
        author_id="u",
        author_handle="@u",
        text=text,
        created_at=at,
        status=CommentStatus.CLASSIFIED,
        language="fr",
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
    return comment


def alerts(factory: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    with session_scope(factory) as session:
        rows = session.scalars(select(Alert).order_by(Alert.id)).all()
        return [(a.kind, a.dedup_key, a.status) for a in rows]


def test_spike_alerts_per_source_and_overall_once(tmp_path: Path, database_url: str) -> None:
    settings, factory = prepared(tmp_path, database_url)
    with session_scope(factory) as session:
        x_id, fb_id = session.scalars(select(Source.id).order_by(Source.name.desc())).all()
        serial = 0
        for window in range(1, 13):  # a steady baseline: 2 complaints per 10 minutes
            for _ in range(2):
                serial += 1
                add_classified(
                    session,
                    source_id=fb_id if serial % 2 else x_id,
                    external_id=f"b{serial}",
                    category="complaint",
                    at=NOW - timedelta(minutes=10 * window + 3),
                )
        for index in range(14):  # the burst, on one source, in the last 10 minutes
            add_classified(
                session,
                source_id=x_id,
                external_id=f"s{index}",
                category="insult" if index % 3 == 0 else "complaint",
                at=NOW - timedelta(minutes=9) + timedelta(seconds=30 * index),
            )
        for index in range(20):  # praise does not count
            add_classified(
                session,
                source_id=fb_id,
                external_id=f"p{index}",
                category="general_opinion",
                at=NOW - timedelta(minutes=2),
            )
    with session_scope(factory) as session:
        checks = {check.scope: check for check in check_spikes(session, settings, now=NOW)}
    assert checks["all"].current == 14 and checks["all"].is_spike
    assert checks[f"source:{x_id}"].is_spike and not checks[f"source:{fb_id}"].is_spike
    assert alerts(factory) == [
        ("spike", "spike:all", "open"),
        ("spike", f"spike:source:{x_id}", "open"),
    ]
    with session_scope(factory) as session:  # the next run refreshes, never duplicates
        check_spikes(session, settings, now=NOW + timedelta(seconds=30))
    assert len(alerts(factory)) == 2
    with session_scope(factory) as session:
        for alert in session.scalars(select(Alert)):
            assert alert.data["occurrences"] == 2
            resolve(session, alert, user=None, now=NOW + timedelta(seconds=40))
    with session_scope(factory) as session:  # resolved: quiet during the cooldown
        check_spikes(session, settings, now=NOW + timedelta(minutes=1))
    assert [status for *_, status in alerts(factory)] == ["resolved", "resolved"]


def test_comment_rules_raise_threat_danger_and_reach(
    tmp_path: Path,
    database_url: str,
    classifier,
) -> None:
    settings, factory = prepared(tmp_path, database_url)
    texts = {
        "threat": "je vais te retrouver et te casser la gueule, tu vas le regretter",
        "danger": "ma box a pris feu cette nuit, il y a eu un début d'incendie dans le salon, "
        "j'appelle mon avocat",
        "viral": "3 jours sans internet et aucune réponse du service client, c'est une honte",
        "calm": "merci pour l'info, bonne journée",
    }
    with session_scope(factory) as session:
        source_id = session.scalars(select(Source.id)).first()
        for key, text in texts.items():
            session.add(
                Comment(
                    source_id=source_id,
                    platform="x",
                    external_id=key,
                    author_id=key,
                    author_handle=f"@{key}",
                    text=text,
                    created_at=NOW,
                    author_followers=82_000 if key == "viral" else 40,
                    like_count=640 if key == "viral" else 1,
                )
            )
    classify_pending(factory, classifier, batch_size=10, settings=settings)
    raised = alerts(factory)
    with session_scope(factory) as session:
        ids = dict(session.execute(select(Comment.external_id, Comment.id)).all())
    assert ("threat", f"threat:comment:{ids['threat']}", "open") in raised
    assert ("danger", f"danger:comment:{ids['danger']}", "open") in raised
    assert ("viral", f"viral:comment:{ids['viral']}", "open") in raised
    assert not any(key.endswith(f":{ids['calm']}") for _, key, _ in raised)
    with session_scope(factory) as session:
        danger = session.scalars(select(Alert).where(Alert.kind == "danger")).one()
        assert {"incendie", "avocat"} <= set(danger.data["keywords"])


def test_delivery_by_email_and_webhook_until_acknowledged(tmp_path: Path, sqlite_url: str) -> None:
    with smtp_server() as inbox, webhook_receiver() as hook:
        crisis = CrisisSettings(
            contacts=[
                CrisisContact(
                    name="Astreinte",
                    email="crise@fibrelle.example",
                    notify=[f"json://127.0.0.1:{hook.port}/hook"],
                )
            ],
            supervisors=[CrisisContact(name="Superviseur", email="chef@fibrelle.example")],
        )
        email = EmailSettings(
            host="127.0.0.1", port=inbox.port, sender="ecoute@fibrelle.example", security="insecure"
        )
        settings, factory = prepared(
            tmp_path,
            sqlite_url,
            crisis=crisis,
            alerts=AlertSettings(email=email, resend_minutes=30),
        )
        with session_scope(factory) as session:
            source_id = session.scalars(select(Source.id)).first()
            comment = add_classified(
                session,
                source_id=source_id,
                external_id="late",
                at=NOW - timedelta(hours=2),
                category="complaint",
                text="Toujours pas de réponse à ma réclamation",
            )
            session.add(
                Draft(
                    comment_id=comment.id,
                    action="reply",
                    category="complaint",
                    text="Bonjour",
                    status=DraftStatus.PENDING,
                    due_at=NOW - timedelta(minutes=45),
                )
            )
            session.flush()
            check_deadlines(session, settings, now=NOW)
            add_classified(
                session,
                source_id=source_id,
                external_id="t",
                at=NOW,
                category="insult",
                text="menace",
            )
        with session_scope(factory) as session:
            from ecoute.monitor.alerts import raise_alert

            raise_alert(
                session,
                kind="threat",
                dedup_key="threat:test",
                title="Menace",
                detail="je vais venir",
                now=NOW,
            )
        notifier = Notifier.from_settings(settings)

        first = deliver_due(factory, settings, notifier, secret_key=SECRET, now=NOW)
        assert (first.sent, first.failed) == (2, 0)
        recipients = sorted(str(m["To"]) for m in inbox.messages)
        assert recipients == ["chef@fibrelle.example", "crise@fibrelle.example"]
        deadline_mail = next(m for m in inbox.messages if "chef@" in str(m["To"]))
        body = deadline_mail.get_body(preferencelist=("plain", "html")).get_content()
        assert "Toujours pas de réponse à ma réclamation" in body
        assert "/alerts/ack/" in body
        assert len(hook.bodies) == 1 and "Menace" in hook.bodies[0]["title"]

        again = deliver_due(
            factory, settings, notifier, secret_key=SECRET, now=NOW + timedelta(minutes=5)
        )
        assert again.sent == 0, "nothing is re-sent before resend_minutes"

        token = body.split("/alerts/ack/")[1].split()[0]
        with session_scope(factory) as session:
            alert = session.get_one(Alert, alert_id_from_token(SECRET, token))
            assert alert.kind == "deadline"
            acknowledge(session, alert, user=None, via="link")
        later = deliver_due(
            factory, settings, notifier, secret_key=SECRET, now=NOW + timedelta(minutes=31)
        )
        assert later.sent == 1, "only the unacknowledged alert is re-sent"
        assert len(hook.bodies) == 2 and len(inbox.messages) == 3
        with session_scope(factory) as session:
            statuses = {a.kind: (a.status, a.send_count) for a in session.scalars(select(Alert))}
        assert statuses == {
            "deadline": (AlertStatus.ACKNOWLEDGED, 1),
            "threat": (AlertStatus.OPEN, 2),
        }


def test_forged_or_foreign_ack_link_is_refused() -> None:
    from ecoute.monitor.alerts import ack_token

    token = ack_token(SECRET, 7)
    assert alert_id_from_token(SECRET, token) == 7
    with pytest.raises(AlertError, match="not valid"):
        alert_id_from_token("another-key", token)
    with pytest.raises(AlertError, match="not valid"):
        alert_id_from_token(SECRET, token[:-2] + "xx")
