"""The Messenger private reply offered to the CM for a complaint on Facebook.

Facebook lets a page answer a public comment with one private Messenger message, which
is the best place to ask for a customer number. The pipeline drafts only the public
reply (one draft per comment in the queue); the private message is drafted when the CM
takes up the offer, as a second draft for the same comment, approved like any other.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoute.core.audit import record
from ecoute.core.domain import Action, Category, Platform
from ecoute.core.models import Draft, User, utcnow
from ecoute.core.settings import Settings


class PrivateReplyError(Exception):
    """The private reply cannot be offered for this draft; the message says why."""


def private_reply_offered(draft: Draft) -> bool:
    """True when the console should offer a Messenger private reply next to this draft."""
    return (
        draft.action == Action.REPLY
        and draft.category == Category.COMPLAINT
        and draft.comment.platform == Platform.FACEBOOK
    )


def draft_private_reply(
    *, session: Session, settings: Settings, draft_id: int, requested_by: User | None = None
) -> Draft:
    """Draft the Messenger private message for a Facebook complaint; idempotent."""
    from .flows import comment_view, drafter_for
    from .policy import PRIVATE_MESSAGE

    draft = session.get(Draft, draft_id)
    if draft is None:
        raise PrivateReplyError(f"draft {draft_id} does not exist; reload the queue")
    if not private_reply_offered(draft):
        raise PrivateReplyError(
            "a Messenger private reply is offered only for complaints on Facebook"
        )
    existing = session.scalar(
        select(Draft).where(
            Draft.comment_id == draft.comment_id,
            Draft.action == Action.PRIVATE_REPLY,
            Draft.template.like("%/private_message/%"),
        )
    )
    if existing is not None:
        return existing
    language = draft.language or settings.brand.default_language
    rendered = drafter_for(settings).write(
        PRIVATE_MESSAGE,
        comment_view(draft.comment),
        language=language,
        category=draft.category,
        action=Action.PRIVATE_REPLY,
    )
    private = Draft(
        comment_id=draft.comment_id,
        action=Action.PRIVATE_REPLY,
        category=draft.category,
        language=language,
        text=rendered.text,
        original_text=rendered.text,
        template=rendered.template,
        findings=[finding.as_dict() for finding in rendered.findings],
        due_at=draft.due_at or utcnow() + timedelta(minutes=settings.deadlines.complaint),
    )
    session.add(private)
    session.flush()
    record(
        session,
        actor=requested_by,
        action="draft.private_reply.offer",
        entity_type="draft",
        entity_id=private.id,
        after={"public_draft_id": draft.id},
    )
    return private
