"""First-run chores shared by `ecoute init`, `ecoute demo` and `ecoute train`."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ecoute.console.accounts import create_user
from ecoute.core.db import session_scope
from ecoute.core.domain import Category, Role
from ecoute.core.models import Classification, Comment, User


def generate_password() -> str:
    """A password that is safe to print once and type by hand."""
    return secrets.token_urlsafe(12)


def ensure_admin(
    factory: sessionmaker[Session],
    *,
    username: str,
    password: str | None = None,
    display_name: str | None = None,
    role: Role = Role.ADMIN,
    language: str = "fr",
) -> str | None:
    """Create the first account when there is none; return its password (else None)."""
    with session_scope(factory) as session:
        if session.scalar(select(func.count()).select_from(User)):
            return None
        password = password or generate_password()
        create_user(
            session,
            username=username,
            password=password,
            display_name=display_name or username,
            role=role,
            language=language,
        )
    return password


def corrections(factory: sessionmaker[Session]) -> list[tuple[str, Category]]:
    """The CM's reclassifications, newest per comment, as training examples."""
    with session_scope(factory) as session:
        latest = (
            select(Classification.comment_id, func.max(Classification.id).label("last_id"))
            .where(Classification.origin == "cm")
            .group_by(Classification.comment_id)
            .subquery()
        )
        rows = session.execute(
            select(Comment.text, Classification.category)
            .join(latest, latest.c.comment_id == Comment.id)
            .join(Classification, Classification.id == latest.c.last_id)
            .order_by(Comment.id)
        ).all()
    return [(text, Category(category)) for text, category in rows]


def corrections_since(factory: sessionmaker[Session], since: datetime) -> int:
    """How many reclassifications the team made after `since`."""
    with session_scope(factory) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Classification)
                .where(Classification.origin == "cm", Classification.created_at > since)
            )
            or 0
        )
