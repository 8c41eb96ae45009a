"""The weekly report, sent on Monday morning to the supervisors (or the crisis contacts).

It carries the figures the craft asks a team to follow next to the sales figures:
volumes by category, platform and language against the week before, first responses
against the deadlines, resolutions and satisfaction, recurring topics, alerts.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy.orm import Session, sessionmaker

from ecoute.console.reports import Dashboard, dashboard
from ecoute.core.db import session_scope
from ecoute.core.models import utcnow
from ecoute.core.settings import Settings
from ecoute.monitor.delivery import Notifier

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "reports"


def weekly_text(report: Dashboard, settings: Settings) -> str:
    language = settings.brand.default_language
    environment = SandboxedEnvironment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=False)
    template = environment.get_template(f"weekly.{'fr' if language == 'fr' else 'en'}.txt.j2")
    return template.render(report=report, brand=settings.brand.name)


def send_weekly_report(
    factory: sessionmaker[Session],
    settings: Settings,
    notifier: Notifier,
    *,
    now: datetime | None = None,
) -> bool:
    """Compose the last seven days' report and send it; True when someone received it."""
    now = now or utcnow()
    with session_scope(factory) as session:
        report = dashboard(session, settings, days=7, now=now, compare=True)
        body = weekly_text(report, settings)
    first = report.period.start.astimezone(report.period.zone).date()
    title = f"{settings.brand.name} — Écoute, semaine du {first:%d/%m/%Y} / week of {first}"
    return notifier.send("weekly", title, body)
