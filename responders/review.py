"""The approval workflow: nothing is published without a person's decision.

Approving a reply or a hide moves the draft to the outbox (status `approved`), which
carries it out on the platform; approving a decision that sends nothing (an escalation,
a comment in a language we do not answer) closes it (`done`). Rejecting closes a draft
with a reason. Both are recorded in the audit trail with the state before and after.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ecoute.core.audit import record
from ecoute.core.domain import Action, DraftStatus, Role
from ecoute.core.models import Draft, User, utcnow


class ReviewError(Exception):
    """The requested review action is not allowed in the draft's current state."""


class NotAllowed(ReviewError):
    """The user's role does not allow this action."""


def _snapshot(draft: Draft) -> dict[str, object]:
    return {"status": draft.status, "text": draft.text}


def approve(
    session: Session,
    draft: Draft,
    user: User,
    *,
    text: str | None = None,
    two_person_rule: bool = False,
) -> Draft:
    """Approve a pending draft, optionally with the CM's edited text.

    With the two-person rule, whoever wrote the words cannot also publish them: an
    approver who edits a draft (now or earlier) needs a colleague to approve it.
    """
    if user.role not in (Role.APPROVER, Role.ADMIN):
        raise NotAllowed(f"{user.username} is an {user.role} and cannot approve drafts")
    if draft.status != DraftStatus.PENDING:
        raise ReviewError(f"draft {draft.id} is {draft.status}, not pending; reload the queue")
    changes_text = text is not None and text.strip() != (draft.text or "").strip()
    if two_person_rule and (changes_text or draft.edited_by_id == user.id):
        raise NotAllowed(
            "two-person rule: you edited this draft, so another approver must approve it; "
            "save your edit and ask a colleague"
        )
    before = _snapshot(draft)
    if text is not None:
        text = text.strip()
        if draft.action == Action.REPLY and not text:
            raise ReviewError("an approved reply cannot be empty; reject the draft instead")
        if text != draft.text:
            draft.text = text
            draft.edited_by_id = user.id
    sends_something = draft.action in (Action.REPLY, Action.HIDE, Action.PRIVATE_REPLY)
    draft.status = DraftStatus.APPROVED if sends_something else DraftStatus.DONE
    draft.reviewed_by_id = user.id
    draft.reviewed_at = utcnow()
    record(
        session,
        actor=user,
        action="draft.approve",
        entity_type="draft",
        entity_id=draft.id,
        before=before,
        after=_snapshot(draft),
    )
    return draft


def reject(session: Session, draft: Draft, user: User, *, reason: str) -> Draft:
    """Reject a pending draft; the reason is kept for the team and for training."""
    if draft.status != DraftStatus.PENDING:
        raise ReviewError(f"draft {draft.id} is {draft.status}, not pending; reload the queue")
    reason = reason.strip()
    if not reason:
        raise ReviewError("say why the draft is rejected")
    before = _snapshot(draft)
    draft.status = DraftStatus.REJECTED
    draft.reject_reason = reason
    draft.reviewed_by_id = user.id
    draft.reviewed_at = utcnow()
    record(
        session,
        actor=user,
        action="draft.reject",
        entity_type="draft",
        entity_id=draft.id,
        before=before,
        after={**_snapshot(draft), "reason": reason},
    )
    return draft
