"""Leases on sources: with several workers on one database, each source is polled by
one worker per interval.

A lease is a conditional UPDATE — it succeeds only when the source is free or its
lease has expired — so it works the same on PostgreSQL and SQLite without holding a
transaction open during the network call. A worker that dies simply lets its lease
expire and another one takes over at the next interval.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session, sessionmaker

from ecoute.core.db import session_scope
from ecoute.core.models import Source, utcnow


def claim_source(
    factory: sessionmaker[Session],
    source_id: int,
    owner: str,
    *,
    lease: timedelta,
    now: datetime | None = None,
) -> bool:
    """Take the source for `lease` if it is free, expired, already ours, and due."""
    now = now or utcnow()
    with session_scope(factory) as session:
        result = session.execute(
            update(Source)
            .where(Source.id == source_id, Source.enabled.is_(True))
            .where(
                or_(
                    Source.lease_owner.is_(None),
                    Source.lease_owner == owner,
                    Source.lease_expires_at.is_(None),
                    Source.lease_expires_at <= now,
                )
            )
            .where(or_(Source.next_poll_at.is_(None), Source.next_poll_at <= now))
            .values(lease_owner=owner, lease_expires_at=now + lease)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def release_source(factory: sessionmaker[Session], source_id: int, owner: str) -> None:
    """Give the source back; `next_poll_at`, set by the poll, keeps the interval."""
    with session_scope(factory) as session:
        session.execute(
            update(Source)
            .where(Source.id == source_id, Source.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
