"""The approval workflow on its own: roles, states, and the two-person rule."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ecoute.console.accounts import create_user
from ecoute.core.db import make_engine, make_session_factory, session_scope, upgrade
from ecoute.core.domain import Action, DraftStatus, Role
from ecoute.core.models import Comment, Draft, Source
from ecoute.responders.review import NotAllowed, ReviewError, approve, reject


def test_two_person_rule_and_states(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'e.db'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        ana = create_user(
            session,
            username="ana",
            password="long enough 1",
            display_name="Ana",
            role=Role.APPROVER,
        )
        bob = create_user(
            session,
            username="bob",
            password="long enough 2",
            display_name="Bob",
            role=Role.APPROVER,
        )
        theo = create_user(
            session, username="theo", password="long enough 3", display_name="Théo", role=Role.AGENT
        )
        source = Source(name="s", platform="x", account="F", cursor={}, rate_limit={})
        session.add(source)
        session.flush()
        comment = Comment(
            source_id=source.id,
            platform="x",
            external_id="1",
            author_id="a",
            author_handle="a",
            text="panne",
            created_at=datetime.now(UTC),
        )
        session.add(comment)
        session.flush()
        draft = Draft(
            comment_id=comment.id,
            action=Action.REPLY,
            category="complaint",
            text="Bonjour, je regarde.",
            status=DraftStatus.PENDING,
        )
        session.add(draft)
        session.flush()

        with pytest.raises(NotAllowed, match="agent"):
            approve(session, draft, theo)
        with pytest.raises(NotAllowed, match="two-person rule"):
            approve(
                session, draft, ana, text="Bonjour, je regarde votre ligne.", two_person_rule=True
            )
        approve(session, draft, ana, text="Bonjour, je regarde votre ligne.")
        assert draft.edited_by_id == ana.id and draft.status == DraftStatus.APPROVED

        draft.status = DraftStatus.PENDING  # back in the queue, as after a failed publish
        with pytest.raises(NotAllowed, match="two-person rule"):
            approve(session, draft, ana, two_person_rule=True)
        approve(session, draft, bob, two_person_rule=True)
        assert draft.reviewed_by_id == bob.id
        with pytest.raises(ReviewError, match="not pending"):
            reject(session, draft, bob, reason="trop tard")
