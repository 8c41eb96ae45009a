"""The drafting step and the service functions on a real database (SQLite and PostgreSQL):
drafts per thread, incident mode, the Messenger private reply, edits, closing the loop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from ecoute.core.db import downgrade, make_engine, make_session_factory, session_scope, upgrade
from ecoute.core.domain import Action, CommentStatus, DraftStatus, Role
from ecoute.core.models import (
    Classification,
    Comment,
    Draft,
    IncidentComment,
    IncidentPost,
    Source,
    User,
)
from ecoute.core.settings import Settings
from ecoute.responders import (
    FollowUpError,
    IncidentError,
    declare_incident,
    draft_private_reply,
    incident_reach,
    record_satisfaction,
    record_satisfaction_reply,
    resolve_case,
    resolve_incident,
    satisfaction_report,
    save_edit,
)
from ecoute.responders.flows import draft_pending

COMMENTS = [
    # external id, platform, thread, author, text, category, language
    ("c1", "x", "t1", "marie", "Ma box ne marche plus depuis trois jours.", "complaint", "fr"),
    ("c2", "x", "t1", "marie", "Toujours rien, et personne ne répond !", "complaint", "fr"),
    ("c3", "x", "t1", "marie", "Je n'ai plus internet du tout chez moi.", "complaint", "fr"),
    ("c4", "x", "t1", "paul", "Coupure totale à Lyon depuis ce matin", "complaint", "fr"),
    ("c5", "facebook", "f1", "anna", "My router keeps dropping every night.", "complaint", "en"),
    ("c6", "x", "t2", "troll", "bande de nuls", "insult", "fr"),
    ("c7", "x", "t2", "léa", "Je regarde le match ce soir", "general_opinion", "fr"),
]


@pytest.fixture
def factory(database_url: str):
    engine = make_engine(database_url)
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


def seed(factory, settings: Settings) -> dict[str, int]:
    now = datetime.now(UTC)
    ids: dict[str, int] = {}
    with session_scope(factory) as session:
        source = Source(name="demo-feed", platform="replay", account="Fibrelle")
        session.add(source)
        session.add(
            User(username="cm", display_name="Camille", password_hash="x", role=Role.APPROVER)
        )
        session.flush()
        for external_id, platform, thread, author, text, category, language in COMMENTS:
            comment = Comment(
                source_id=source.id,
                platform=platform,
                external_id=external_id,
                thread_id=thread,
                author_id=author,
                author_handle=author,
                author_name=author.capitalize(),
                text=text,
                language=language,
                created_at=now - timedelta(minutes=5),
                status=CommentStatus.CLASSIFIED,
            )
            session.add(comment)
            session.flush()
            session.add(
                Classification(
                    comment_id=comment.id,
                    category=category,
                    confidence=0.9,
                    probabilities={category: 0.9},
                    flags=[],
                    language=language,
                    model_version="test",
                )
            )
            ids[external_id] = comment.id
    return ids


def test_pipeline_incidents_private_reply_edit_and_satisfaction(
    factory, settings: Settings
) -> None:
    ids = seed(factory, settings)
    with session_scope(factory) as session:
        with pytest.raises(IncidentError, match="keyword"):
            declare_incident(
                session=session,
                settings=settings,
                title="Panne",
                summary={"fr": "x", "en": "y"},
                keywords=[],
            )
        incident = declare_incident(
            session=session,
            settings=settings,
            title="Panne fibre Lyon",
            summary={
                "fr": "Une panne touche la fibre à Lyon depuis 9 h.",
                "en": "An outage has been affecting fibre in Lyon since 9 am.",
            },
            keywords=["coupure*", "panne*"],
            status_url="https://status.fibrelle.fr",
        )
        incident_id = incident.id
    assert draft_pending(factory, settings, batch_size=3) == len(COMMENTS)

    with session_scope(factory) as session:
        drafts = {d.comment.external_id: d for d in session.scalars(select(Draft)).all()}
        statuses = {c.external_id: c.status for c in session.scalars(select(Comment)).all()}
        assert statuses["c7"] == CommentStatus.NO_ACTION and "c7" not in drafts
        assert drafts["c6"].action == Action.HIDE and drafts["c6"].text is None
        thread = [drafts[k].text for k in ("c1", "c2", "c3", "c4")]
        assert len(set(thread)) == 4, "the same author must not get the same words twice"
        assert all(drafts[k].findings == [] for k in ("c1", "c2", "c3", "c4", "c5"))
        assert "Une panne touche la fibre à Lyon" in drafts["c4"].text
        assert incident_reach(session=session, incident_id=incident_id) == 1
        assert session.scalar(select(IncidentComment.comment_id)) == ids["c4"]
        posts = session.scalars(select(IncidentPost)).all()
        assert {(p.platform, p.language) for p in posts} == {
            ("x", "fr"),
            ("x", "en"),
            ("facebook", "fr"),
            ("facebook", "en"),
        }
        assert all(p.findings == [] and "status.fibrelle.fr" in p.text for p in posts)
        facebook_draft_id, x_draft_id = drafts["c5"].id, drafts["c1"].id

    with session_scope(factory) as session:
        private = draft_private_reply(
            session=session, settings=settings, draft_id=facebook_draft_id
        )
        again = draft_private_reply(session=session, settings=settings, draft_id=facebook_draft_id)
        assert private.id == again.id and private.action == Action.PRIVATE_REPLY
        assert "customer number" in private.text and private.findings == []

        user = session.scalar(select(User))
        edited = save_edit(
            session=session,
            settings=settings,
            draft_id=x_draft_id,
            user=user,
            text="C'est contre notre politique. Donnez votre numéro de commande.",
        )
        assert {f["name"] for f in edited.findings} >= {
            "defensive_phrase",
            "personal_data_request",
            "empathy_missing",
        }
        assert edited.status == DraftStatus.PENDING and edited.original_text != edited.text

        followup = resolve_case(
            session=session, settings=settings, comment_id=ids["c5"], resolved_by=user
        )
        with pytest.raises(FollowUpError, match="already resolved"):
            resolve_case(session=session, settings=settings, comment_id=ids["c5"])
        question = session.get(Draft, followup.draft_id)
        assert question.action == Action.PRIVATE_REPLY and "5" in question.text
        assert question.findings == []
        assert session.get(Comment, ids["c5"]).status == CommentStatus.RESOLVED

    with session_scope(factory) as session:
        assert (
            record_satisfaction_reply(session=session, comment_id=ids["c5"], reply_text="hmm")
            is None
        )
        scored = record_satisfaction_reply(
            session=session, comment_id=ids["c5"], reply_text="I'd say 4/5, thanks"
        )
        assert scored is not None and scored.score == 4 and scored.score_origin == "customer"
        resolve_case(session=session, settings=settings, comment_id=ids["c1"])
        record_satisfaction(session=session, comment_id=ids["c1"], score=2)
        with pytest.raises(FollowUpError, match="1 to 5"):
            record_satisfaction(session=session, comment_id=ids["c1"], score=6)

    with session_scope(factory) as session:
        report = satisfaction_report(session=session)
        assert (report.resolved, report.scored, report.mean) == (2, 2, 3.0)
        assert report.by_language["en"].mean == 4 and report.by_language["fr"].mean == 2
        assert report.by_category["complaint"].count == 2 and report.response_rate == 1.0

        resolve_incident(
            session=session,
            settings=settings,
            incident_id=incident_id,
            resolution={"fr": "Le réseau est rétabli.", "en": "Service is back."},
        )
        resolved_posts = session.scalars(
            select(IncidentPost).where(IncidentPost.kind == "resolved")
        ).all()
        assert len(resolved_posts) == 4 and all(p.findings == [] for p in resolved_posts)
        with pytest.raises(IncidentError, match="already resolved"):
            resolve_incident(session=session, settings=settings, incident_id=incident_id)


def test_migration_goes_down_and_up(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    downgrade(engine, "0001")
    with engine.connect() as connection:
        assert "incidents" not in connection.dialect.get_table_names(connection)
    upgrade(engine)
    with engine.connect() as connection:
        names = set(connection.dialect.get_table_names(connection))
    assert {"incidents", "incident_posts", "incident_comments", "case_followups"} <= names
    engine.dispose()


def test_a_new_batch_remembers_the_thread(factory, settings: Settings) -> None:
    """Drafted one comment per run, a thread still never gets the same reply twice."""
    seed(factory, settings)
    while draft_pending(factory, settings, batch_size=1):
        pass
    with session_scope(factory) as session:
        texts = session.scalars(
            select(Draft.text).join(Comment).where(Comment.thread_id == "t1")
        ).all()
        assert len(texts) == len(set(texts)) == 4
        assert session.scalar(select(func.count()).select_from(Draft)) == 6
