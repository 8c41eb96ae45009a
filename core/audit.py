"""The audit trail: every state change a person or the machine makes, with before/after."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ecoute.core.models import AuditEvent, User


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    entity_type: str,
    entity_id: int | str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the caller's transaction, so it commits with the change."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_label=actor.username if actor else "system",
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
    )
    session.add(event)
    return event
