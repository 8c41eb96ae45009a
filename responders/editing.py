"""Checking and saving a CM's edit of a draft.

The same checks as at drafting time run again on every edit, with the thread's other
replies, so that a CM sees at once if their wording sounds defensive, asks for personal
data in public, or runs over X's limit. `check_edit` only reads; `save_edit` stores the
text and its findings (an agent's proposal, approved later by an approver).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoute.core.audit import record
from ecoute.core.domain import DraftStatus
from ecoute.core.models import Comment, Draft, User
from ecoute.core.settings import Settings

from .checks import Finding, check_draft


class EditError(Exception):
    """The draft cannot be edited as asked; the message says what to do."""


def _thread_replies(session: Session, draft: Draft) -> list[str]:
    comment = draft.comment
    if not comment.thread_id:
        return []
    return [
        text
        for text in session.scalars(
            select(Draft.text)
            .join(Comment, Comment.id == Draft.comment_id)
            .where(
                Comment.platform == comment.platform,
                Comment.thread_id == comment.thread_id,
                Draft.id != draft.id,
                Draft.text.is_not(None),
                Draft.status != DraftStatus.REJECTED,
            )
        ).all()
        if text
    ]


def check_edit(*, session: Session, settings: Settings, draft_id: int, text: str) -> list[Finding]:
    """The findings the edited text would have, without saving anything."""
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise EditError(f"draft {draft_id} does not exist; reload the queue")
    return check_draft(
        text,
        platform=draft.comment.platform,
        language=draft.language or settings.brand.default_language,
        category=draft.category,
        action=draft.action,
        settings=settings,
        thread_replies=_thread_replies(session, draft),
    )


def save_edit(
    *, session: Session, settings: Settings, draft_id: int, text: str, user: User
) -> Draft:
    """Store a CM's edited text with its fresh findings; the draft stays pending."""
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise EditError(f"draft {draft_id} does not exist; reload the queue")
    if draft.status != DraftStatus.PENDING:
        raise EditError(f"draft {draft_id} is {draft.status}, not pending; reload the queue")
    text = text.strip()
    findings = check_edit(session=session, settings=settings, draft_id=draft_id, text=text)
    before = {"text": draft.text, "findings": draft.findings}
    draft.text = text
    draft.findings = [finding.as_dict() for finding in findings]
    draft.edited_by_id = user.id
    record(
        session,
        actor=user,
        action="draft.edit",
        entity_type="draft",
        entity_id=draft.id,
        before=before,
        after={"text": text, "findings": [f.name for f in findings]},
    )
    return draft
