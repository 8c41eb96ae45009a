"""Raising, acknowledging and resolving alerts.

One cause, one alert: a `dedup_key` names the cause (a comment's threat, a source's
spike, a draft past its deadline) and while an alert for it is open or acknowledged a
new occurrence only updates it. After it is resolved, the same cause stays quiet for a
cooldown so that a flapping rule does not page the crisis contact every minute.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ecoute.core.audit import record
from ecoute.core.domain import AlertStatus
from ecoute.core.models import Alert, User, utcnow

log = structlog.get_logger("ecoute.monitor.alerts")

ACK_SALT = "ecoute.alert.ack"
ACK_LINK_MAX_AGE_S = 7 * 24 * 3600


class AlertError(Exception):
    """An alert operation that cannot be done (bad link, wrong state)."""


def raise_alert(
    session: Session,
    *,
    kind: str,
    dedup_key: str,
    title: str,
    detail: str = "",
    severity: str = "warning",
    source_id: int | None = None,
    comment_id: int | None = None,
    data: dict[str, Any] | None = None,
    cooldown: timedelta = timedelta(minutes=60),
    now: datetime | None = None,
) -> Alert | None:
    """Open an alert for `dedup_key`, or refresh the one already open; None in cooldown."""
    now = now or utcnow()
    existing = session.scalars(
        select(Alert)
        .where(Alert.dedup_key == dedup_key)
        .order_by(Alert.id.desc())
        .limit(1)
        .with_for_update()
    ).first()
    if existing is not None and existing.status != AlertStatus.RESOLVED:
        existing.detail = detail or existing.detail
        existing.data = {
            **(existing.data or {}),
            **(data or {}),
            "occurrences": int((existing.data or {}).get("occurrences", 1)) + 1,
        }
        return existing
    if (
        existing is not None
        and existing.resolved_at is not None
        and now - existing.resolved_at < cooldown
    ):
        return None
    alert = Alert(
        kind=kind,
        dedup_key=dedup_key,
        title=title[:300],
        detail=detail,
        severity=severity,
        source_id=source_id,
        comment_id=comment_id,
        data={**(data or {}), "occurrences": 1},
        status=AlertStatus.OPEN,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:
        # Another worker opened it between our read and our insert: theirs stands.
        return session.scalars(
            select(Alert).where(Alert.dedup_key == dedup_key, Alert.status != AlertStatus.RESOLVED)
        ).one()
    log.warning(
        "alert_raised",
        alert_id=alert.id,
        kind=kind,
        dedup_key=dedup_key,
        comment_id=comment_id,
        source_id=source_id,
    )
    return alert


def acknowledge(
    session: Session, alert: Alert, *, user: User | None, via: str, now: datetime | None = None
) -> Alert:
    """Someone has seen the alert: stop re-sending it."""
    if alert.status == AlertStatus.OPEN:
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_at = now or utcnow()
        alert.acknowledged_by_id = user.id if user else None
        record(
            session,
            actor=user,
            action="alert.acknowledge",
            entity_type="alert",
            entity_id=alert.id,
            before={"status": "open"},
            after={"status": "acknowledged", "via": via},
        )
    return alert


def resolve(
    session: Session, alert: Alert, *, user: User | None, now: datetime | None = None
) -> Alert:
    """The situation is over; the cause may alert again after the cooldown."""
    if alert.status != AlertStatus.RESOLVED:
        before = {"status": alert.status}
        alert.status = AlertStatus.RESOLVED
        alert.resolved_at = now or utcnow()
        record(
            session,
            actor=user,
            action="alert.resolve",
            entity_type="alert",
            entity_id=alert.id,
            before=before,
            after={"status": "resolved"},
        )
    return alert


def ack_token(secret_key: str, alert_id: int) -> str:
    """A signed, expiring token that acknowledges one alert from a link in a message."""
    return URLSafeTimedSerializer(secret_key, salt=ACK_SALT).dumps(alert_id)


def alert_id_from_token(secret_key: str, token: str, *, max_age: int = ACK_LINK_MAX_AGE_S) -> int:
    """The alert a token acknowledges; AlertError when it is forged or expired."""
    try:
        value = URLSafeTimedSerializer(secret_key, salt=ACK_SALT).loads(token, max_age=max_age)
    except SignatureExpired:
        raise AlertError(
            "this acknowledgement link has expired; open the alert in the console"
        ) from None
    except BadSignature:
        raise AlertError("this acknowledgement link is not valid") from None
    if not isinstance(value, int):
        raise AlertError("this acknowledgement link is not valid")
    return value
