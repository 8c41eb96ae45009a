"""Delivering alerts to people through apprise: e-mail, chat webhooks, SMS gateways.

apprise speaks to a hundred notification services behind one URL syntax, so a team
adds Slack, Teams, Mattermost or an SMS gateway by configuration. An open alert is
re-sent every `resend_minutes` until someone acknowledges it (from the console or the
signed link in the message), at most `max_sends` times. The claim on an alert is
committed before sending so that two workers never send the same reminder twice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlencode

import apprise
import structlog
from jinja2 import FileSystemLoader, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from ecoute.core.db import session_scope
from ecoute.core.domain import AlertStatus
from ecoute.core.models import Alert, Comment, utcnow
from ecoute.core.settings import CrisisContact, EmailSettings, Settings
from ecoute.monitor.alerts import ack_token

log = structlog.get_logger("ecoute.monitor.delivery")

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "alerts"
SUPERVISOR_KINDS = frozenset({"deadline", "weekly"})


def email_url(email: EmailSettings, to: str) -> str:
    """The apprise URL that sends to `to` through the configured SMTP server."""
    scheme = "mailto" if email.security == "insecure" else "mailtos"
    params = {"mode": email.security, "from": email.sender, "to": to}
    if email.username:
        params["user"] = email.username
    if email.password_env:
        params["pass"] = os.environ[email.password_env]
    return f"{scheme}://{quote(email.host)}:{email.port}?{urlencode(params)}"


def contact_urls(contact: CrisisContact, email: EmailSettings | None) -> list[str]:
    urls = list(contact.notify) + [os.environ[name] for name in contact.notify_env]
    if contact.email and email is not None:
        urls.append(email_url(email, contact.email))
    return urls


@dataclass
class Notifier:
    """Who receives what: crisis contacts get every alert, supervisors the deadline ones."""

    crisis: list[str] = field(default_factory=list)
    supervisors: list[str] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: Settings) -> Notifier:
        email = settings.alerts.email
        if email is None:
            for contact in (*settings.crisis.contacts, *settings.crisis.supervisors):
                if contact.email:
                    log.warning(
                        "alert_email_not_configured",
                        contact=contact.name,
                        fix="add [alerts.email] to config.toml to e-mail alerts",
                    )
        crisis = [url for c in settings.crisis.contacts for url in contact_urls(c, email)]
        supervisors = [url for c in settings.crisis.supervisors for url in contact_urls(c, email)]
        return cls(crisis=crisis, supervisors=supervisors or crisis)

    def audience(self, kind: str) -> list[str]:
        return self.supervisors if kind in SUPERVISOR_KINDS else self.crisis

    def send(self, kind: str, title: str, body: str) -> bool:
        """Send to everyone concerned; True when at least one recipient accepted it."""
        urls = self.audience(kind)
        if not urls:
            return False
        client = apprise.Apprise()
        for url in urls:
            if not client.add(url):
                log.error("alert_url_invalid", scheme=url.split(":", 1)[0])
        return bool(client.notify(title=title, body=body))


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=False)
    )


def compose(alert: Alert, comments: list[Comment], *, settings: Settings, secret_key: str) -> str:
    """The message body: what happened, the comments, and the links to act."""
    language = settings.brand.default_language
    template = _environment().get_template(
        f"{language if language in ('fr', 'en') else 'en'}.txt.j2"
    )
    console_url = (
        settings.console.public_url or f"http://{settings.console.host}:{settings.console.port}"
    ).rstrip("/")
    return template.render(
        alert=alert,
        comments=comments,
        brand=settings.brand.name,
        console_url=console_url,
        ack_url=f"{console_url}/alerts/ack/{ack_token(secret_key, alert.id)}",
    )


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    unaddressed: int = 0


def _due(session: Session, settings: Settings, now: datetime) -> list[Alert]:
    resend_before = now - timedelta(minutes=settings.alerts.resend_minutes)
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.status == AlertStatus.OPEN)
            .where(Alert.send_count < settings.alerts.max_sends)
            .where(or_(Alert.last_sent_at.is_(None), Alert.last_sent_at <= resend_before))
            .order_by(Alert.id)
            .limit(50)
            .with_for_update(skip_locked=True)
        )
    )


def _comments(session: Session, alert: Alert) -> list[Comment]:
    ids = list((alert.data or {}).get("comment_ids", []))
    if alert.comment_id and alert.comment_id not in ids:
        ids.insert(0, alert.comment_id)
    if not ids:
        return []
    found = {c.id: c for c in session.scalars(select(Comment).where(Comment.id.in_(ids[:10])))}
    return [found[i] for i in ids[:10] if i in found]


def deliver_due(
    factory: sessionmaker[Session],
    settings: Settings,
    notifier: Notifier,
    *,
    secret_key: str,
    now: datetime | None = None,
) -> DeliveryReport:
    """Send every open alert that is due (new, or unacknowledged past the resend delay)."""
    now = now or utcnow()
    report = DeliveryReport()
    with session_scope(factory) as session:
        messages = []
        for alert in _due(session, settings, now):
            alert.last_sent_at = now
            alert.send_count += 1
            body = compose(
                alert, _comments(session, alert), settings=settings, secret_key=secret_key
            )
            messages.append((alert.id, alert.kind, f"[Écoute] {alert.title}", body))
    for alert_id, kind, title, body in messages:
        if not notifier.audience(kind):
            # Nobody to call: the alert stays open on the console's alerts page.
            report.unaddressed += 1
            log.warning(
                "alert_has_no_recipient",
                alert_id=alert_id,
                kind=kind,
                fix="add [[crisis.contacts]] (and [alerts.email]) to config.toml",
            )
            continue
        if notifier.send(kind, title, body):
            report.sent += 1
            log.info("alert_sent", alert_id=alert_id, kind=kind)
            continue
        report.failed += 1
        log.error("alert_delivery_failed", alert_id=alert_id, kind=kind)
        with session_scope(factory) as session:
            alert = session.get_one(Alert, alert_id)
            alert.data = {**(alert.data or {}), "last_delivery_error": now.isoformat()}
    return report
