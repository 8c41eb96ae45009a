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
from ecoute.core.domain import Action, DraftStatus
from ecoute.core.models import Comment, Draft, User
from ecoute.core.settings import Settings

from .checks import Finding, check_draft
from .review import ReviewError


class EditError(ReviewError):
    """The draft cannot be edited as asked; the message says what to do."""


def thread_replies(session: Session, draft: Draft) -> list[str]:
    """The other replies drafted in the draft's thread (all but rejected ones), so that the
    checks can spot a text that would repeat one of them."""
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


def findings_for(session: Session, settings: Settings, draft: Draft, text: str) -> list[Finding]:
    """The checks on `text` as if it were this draft's text."""
    return check_draft(
        text,
        platform=draft.comment.platform,
        language=draft.language or settings.brand.default_language,
        category=draft.category,
        action=draft.action,
        settings=settings,
        thread_replies=thread_replies(session, draft),
    )


def _draft(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise EditError(f"draft {draft_id} does not exist; reload the queue")
    return draft


def check_edit(*, session: Session, settings: Settings, draft_id: int, text: str) -> list[Finding]:
    """The findings the edited text would have, without saving anything."""
    return findings_for(session, settings, _draft(session, draft_id), text)


def save_edit(
    *, session: Session, settings: Settings, draft_id: int, text: str, user: User
) -> Draft:
    """Store a CM's edited text with its fresh findings; the draft stays pending (any role
    may edit; approving is a separate step). Unchanged text changes nothing."""
    draft = _draft(session, draft_id)
    if draft.status != DraftStatus.PENDING:
        raise EditError(f"draft {draft_id} is {draft.status}, not pending; reload the queue")
    if draft.action not in (Action.REPLY, Action.PRIVATE_REPLY):
        raise EditError("only replies have a text to edit")
    text = text.strip()
    if not text:
        raise EditError("a reply cannot be empty; reject the draft instead")
    if text == draft.text:
        return draft
    findings = findings_for(session, settings, draft, text)
    before = {"text": draft.text, "edited_by_id": draft.edited_by_id}
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
        after={"text": text, "edited_by_id": user.id, "findings": [f.name for f in findings]},
    )
    return draft
