"""What a CM does to a case from the console, each step audited with before and after.

Approving and rejecting live in `responders.review`, closing the loop in
`responders.followups`; this module holds the steps that are the console's own:
editing a draft with its checks, reclassifying (kept as training data), hiding under the
moderation charter, assigning, escalating. Agents propose, approvers decide: a step an
agent takes that would send something leaves a pending draft for an approver.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from ecoute.core.audit import record
from ecoute.core.domain import Action, Category, CommentStatus, DraftStatus, Role
from ecoute.core.models import Classification, Comment, Draft, User, utcnow
from ecoute.core.settings import Settings
from ecoute.monitor.alerts import raise_alert
from ecoute.responders.editing import findings_for
from ecoute.responders.flows import classification_view, comment_view, drafter_for
from ecoute.responders.review import NotAllowed, ReviewError, approve

#: Categories whose comments are never hidden: moderation is not a way to make unhappy
#: customers disappear.
NEVER_HIDDEN = (Category.COMPLAINT, Category.SERVICE_QUESTION)
#: The classification a CM gives carries this model version, so training can find it.
CM_MODEL_VERSION = "cm"


class CaseError(ReviewError):
    """A console step that cannot be done as asked; the message says what to do."""


def may_approve(user: User) -> bool:
    return user.role in (Role.APPROVER, Role.ADMIN)


def open_drafts(comment: Comment) -> list[Draft]:
    return [d for d in comment.drafts if d.status == DraftStatus.PENDING]


def main_draft(comment: Comment) -> Draft | None:
    """The pending draft that answers the comment itself (not a private message)."""
    for draft in reversed(comment.drafts):
        if draft.status == DraftStatus.PENDING and draft.action != Action.PRIVATE_REPLY:
            return draft
    return None


def _require_pending(draft: Draft) -> None:
    if draft.status != DraftStatus.PENDING:
        raise CaseError(f"draft {draft.id} is {draft.status}, not pending; reload the page")


def approve_draft(
    session: Session,
    settings: Settings,
    draft: Draft,
    user: User,
    *,
    text: str | None = None,
) -> Draft:
    """Approve with the console's rules on top of the review workflow's: the two-person
    rule, and fresh findings when the text changed on the way."""
    if not may_approve(user):
        raise NotAllowed(f"{user.username} is an {user.role} and cannot approve drafts")
    _require_pending(draft)
    changes_text = text is not None and text.strip() != (draft.text or "").strip()
    approve(
        session,
        draft,
        user,
        text=text if changes_text else None,
        two_person_rule=settings.console.two_person_rule,
    )
    if changes_text and draft.text:
        draft.findings = [f.as_dict() for f in findings_for(session, settings, draft, draft.text)]
    return draft


def _latest(comment: Comment) -> Classification | None:
    return comment.classifications[-1] if comment.classifications else None


def _reload_lists(session: Session, comment: Comment) -> None:
    """Write pending changes, then let the comment's lists be read again from the database."""
    session.flush()
    session.expire(comment, ["classifications", "drafts"])


def _supersede(draft: Draft, user: User, reason: str) -> None:
    draft.status = DraftStatus.REJECTED
    draft.reject_reason = reason
    draft.reviewed_by_id = user.id
    draft.reviewed_at = utcnow()


def reclassify(
    session: Session, settings: Settings, comment: Comment, user: User, category: str
) -> Classification:
    """Store a CM's category as a new classification (training data) and redraft.

    An untouched pending draft is replaced by what the responder proposes for the new
    category; a draft the CM already edited keeps its text and only moves to the new
    category's deadline.
    """
    try:
        new_category = Category(category)
    except ValueError:
        raise CaseError(f"unknown category {category!r}") from None
    latest = _latest(comment)
    before = latest.category if latest else None
    classification = Classification(
        comment_id=comment.id,
        category=new_category,
        confidence=1.0,
        probabilities={new_category.value: 1.0},
        flags=list(latest.flags) if latest else [],
        language=comment.language,
        model_version=CM_MODEL_VERSION,
        origin="cm",
        created_by_id=user.id,
    )
    session.add(classification)
    session.flush()
    draft = main_draft(comment)
    after: dict[str, object] = {"category": new_category.value}
    if draft is not None and draft.category != new_category:
        after["draft"] = _redraft(session, settings, comment, draft, user, classification)
    _reload_lists(session, comment)
    record(
        session,
        actor=user,
        action="comment.reclassify",
        entity_type="comment",
        entity_id=comment.id,
        before={"category": before},
        after=after,
    )
    return classification


def _redraft(
    session: Session,
    settings: Settings,
    comment: Comment,
    draft: Draft,
    user: User,
    classification: Classification,
) -> dict[str, object]:
    deadline = timedelta(minutes=settings.deadlines.minutes_for(classification.category))
    edited = draft.text != draft.original_text
    if edited or comment.language not in settings.brand.languages:
        draft.category = classification.category
        draft.due_at = comment.created_at + deadline
        if draft.text:
            found = findings_for(session, settings, draft, draft.text)
            draft.findings = [f.as_dict() for f in found]
        return {"id": draft.id, "kept_text": True}
    drafter = drafter_for(settings)
    drafter.refresh()  # an admin may have edited a template since the last draft
    outcome = drafter.draft(
        comment_view(comment),
        classification_view(classification, comment.language),
    )
    decision = outcome.decision
    _supersede(draft, user, f"reclassified as {classification.category}")
    if decision.action == Action.NONE:
        comment.status = CommentStatus.NO_ACTION
        return {"id": draft.id, "replaced_by": None, "reason": decision.reason}
    replacement = Draft(
        comment_id=comment.id,
        action=decision.action,
        category=decision.category,
        language=comment.language,
        text=outcome.text,
        original_text=outcome.text,
        template=outcome.template,
        findings=[f.as_dict() for f in outcome.findings],
        due_at=comment.created_at + deadline,
    )
    session.add(replacement)
    session.flush()
    return {"id": draft.id, "replaced_by": replacement.id, "action": str(decision.action)}


def hide(session: Session, settings: Settings, comment: Comment, user: User) -> Draft:
    """Hide a comment under the moderation charter; an agent's hide waits for an approver."""
    latest = _latest(comment)
    if latest is not None and latest.category in NEVER_HIDDEN:
        raise CaseError(
            "a complaint or a question is answered, never hidden; reclassify it first if it "
            "really is an insult"
        )
    for existing in comment.drafts:
        if existing.action == Action.HIDE and existing.status != DraftStatus.REJECTED:
            # Already proposed (by the responder or an agent): an approver confirms it.
            if existing.status == DraftStatus.PENDING and may_approve(user):
                approve(session, existing, user)
            return existing
    for pending in open_drafts(comment):
        if pending.action == Action.REPLY:
            _supersede(pending, user, "replaced by hiding under the moderation charter")
    draft = Draft(
        comment_id=comment.id,
        action=Action.HIDE,
        category=latest.category if latest else Category.INSULT,
        language=comment.language,
        findings=[],
        due_at=utcnow(),
    )
    session.add(draft)
    session.flush()
    record(
        session,
        actor=user,
        action="comment.hide.propose",
        entity_type="comment",
        entity_id=comment.id,
        after={"draft_id": draft.id},
    )
    if may_approve(user):
        approve(session, draft, user)
    _reload_lists(session, comment)
    return draft


def assign(session: Session, comment: Comment, user: User, assignee: User | None) -> Comment:
    """Give the case to one person (or to nobody); who answers what is a team rule."""
    if assignee is not None and not assignee.active:
        raise CaseError(f"{assignee.username} is not an active user")
    before = comment.assigned_to_id
    comment.assigned_to_id = assignee.id if assignee else None
    record(
        session,
        actor=user,
        action="comment.assign",
        entity_type="comment",
        entity_id=comment.id,
        before={"assigned_to_id": before},
        after={"assigned_to_id": comment.assigned_to_id},
    )
    return comment


def escalate(session: Session, comment: Comment, user: User, reason: str) -> Comment:
    """Send the case up the escalation path: it goes to the top of the queue and an alert
    is raised for the crisis contact (delivered by the alerting job)."""
    reason = reason.strip()
    if not reason:
        raise CaseError("say why the case is escalated; the crisis contact reads it first")
    before = comment.escalated_at
    comment.escalated_at = comment.escalated_at or utcnow()
    alert = raise_alert(
        session,
        kind="escalation",
        dedup_key=f"escalation:comment:{comment.id}",
        title=f"Escalated by {user.display_name}: {comment.author_handle} on {comment.platform}",
        detail=reason,
        severity="critical",
        source_id=comment.source_id,
        comment_id=comment.id,
        data={"escalated_by": user.username},
        cooldown=timedelta(0),
    )
    record(
        session,
        actor=user,
        action="comment.escalate",
        entity_type="comment",
        entity_id=comment.id,
        before={"escalated_at": before.isoformat() if before else None},
        after={
            "escalated_at": comment.escalated_at.isoformat(),
            "reason": reason,
            "alert_id": alert.id if alert else None,
        },
    )
    return comment
