"""Incident mode, the service: declaring, listing and resolving incidents.

Plain functions with a keyword-only `session`, called by the console (a CM or the
crisis contact declares an incident) and by the drafting step (which complaints match).
Declaring drafts the public information post for the brand's own feed, one per platform
and language, for a person to approve like any reply; resolving drafts the "it's fixed"
post. Every change is in the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoute.core.audit import record
from ecoute.core.models import Incident, IncidentComment, IncidentPost, User, utcnow
from ecoute.core.settings import Settings

from .checks import POST
from .incidents import IncidentView

ACTIVE = "active"
RESOLVED = "resolved"
DEFAULT_POST_PLATFORMS = ("x", "facebook")


class IncidentError(Exception):
    """An incident cannot be declared or changed as asked; the message says what to do."""


def _view(incident: Incident) -> IncidentView:
    return IncidentView.build(
        id=incident.id,
        title=incident.title,
        summary=incident.summary or {},
        status_url=incident.status_url,
        keywords=incident.keywords or [],
        resolution=incident.resolution or {},
    )


def active_incidents(*, session: Session) -> list[Incident]:
    return list(
        session.scalars(
            select(Incident).where(Incident.status == ACTIVE).order_by(Incident.id)
        ).all()
    )


def active_incident_views(*, session: Session) -> list[IncidentView]:
    """The active incidents as drafting uses them."""
    return [_view(incident) for incident in active_incidents(session=session)]


def declare_incident(
    *,
    session: Session,
    settings: Settings,
    title: str,
    summary: Mapping[str, str],
    keywords: Sequence[str],
    status_url: str | None = None,
    declared_by: User | None = None,
    declared_by_label: str | None = None,
    post_platforms: Iterable[str] = DEFAULT_POST_PLATFORMS,
) -> Incident:
    """Declare an incident and draft its information posts.

    `summary` holds one plain sentence per language ("Une panne touche la fibre à Lyon
    depuis 9 h."); `keywords` decide which complaints the incident explains. The status
    link defaults to `[incident] status_url` in config.toml.
    """
    title = " ".join(title.split())
    if not title:
        raise IncidentError("give the incident a short title, e.g. 'Panne fibre Lyon'")
    cleaned = [k.strip() for k in keywords if k and k.strip()]
    if not cleaned:
        raise IncidentError(
            "give at least one keyword (e.g. 'panne*', 'outage'): complaints are matched by them"
        )
    missing = [code for code in settings.brand.languages if not (summary.get(code) or "").strip()]
    if missing:
        raise IncidentError(
            f"write the summary in every language you answer in; missing: {', '.join(missing)}"
        )
    incident = Incident(
        title=title,
        summary={code: " ".join(text.split()) for code, text in summary.items() if text},
        keywords=cleaned,
        status_url=(status_url or settings.incident.status_url or None),
        status=ACTIVE,
        declared_at=utcnow(),
        declared_by_id=declared_by.id if declared_by else None,
        declared_by_label=declared_by_label or (declared_by.username if declared_by else "system"),
        resolution={},
    )
    session.add(incident)
    session.flush()
    record(
        session,
        actor=declared_by,
        action="incident.declare",
        entity_type="incident",
        entity_id=incident.id,
        after={"title": title, "keywords": cleaned, "status_url": incident.status_url},
    )
    draft_incident_posts(
        session=session,
        settings=settings,
        incident=incident,
        kind="declared",
        platforms=post_platforms,
    )
    return incident


def resolve_incident(
    *,
    session: Session,
    settings: Settings,
    incident_id: int,
    resolution: Mapping[str, str] | None = None,
    resolved_by: User | None = None,
    post_platforms: Iterable[str] = DEFAULT_POST_PLATFORMS,
) -> Incident:
    """Close an incident: complaints are no longer matched, and the "fixed" post is drafted."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise IncidentError(f"incident {incident_id} does not exist; reload the list")
    if incident.status != ACTIVE:
        raise IncidentError(f"incident {incident_id} is already resolved")
    incident.status = RESOLVED
    incident.resolved_at = utcnow()
    incident.resolved_by_id = resolved_by.id if resolved_by else None
    incident.resolution = {k: " ".join(v.split()) for k, v in (resolution or {}).items() if v}
    record(
        session,
        actor=resolved_by,
        action="incident.resolve",
        entity_type="incident",
        entity_id=incident.id,
        before={"status": ACTIVE},
        after={"status": RESOLVED, "resolution": incident.resolution},
    )
    draft_incident_posts(
        session=session,
        settings=settings,
        incident=incident,
        kind="resolved",
        platforms=post_platforms,
    )
    return incident


def draft_incident_posts(
    *,
    session: Session,
    settings: Settings,
    incident: Incident,
    kind: str,
    platforms: Iterable[str] = DEFAULT_POST_PLATFORMS,
) -> list[IncidentPost]:
    """Draft the brand-feed post for each platform and language (pending approval)."""
    from .drafting import CommentView
    from .flows import drafter_for
    from .policy import INCIDENT_POST, INCIDENT_RESOLVED_POST

    drafter = drafter_for(settings)
    case = INCIDENT_POST if kind == "declared" else INCIDENT_RESOLVED_POST
    view = _view(incident)
    posts: list[IncidentPost] = []
    for platform in platforms:
        for language in settings.brand.languages:
            if not drafter.renderer.variants(case, language):
                continue
            rendered = drafter.write(
                case,
                CommentView(text="", platform=platform, thread_id=f"incident-{incident.id}"),
                language=language,
                category=None,
                action=POST,
                incident=view,
            )
            post = IncidentPost(
                incident_id=incident.id,
                kind=kind,
                platform=platform,
                language=language,
                text=rendered.text,
                original_text=rendered.text,
                template=rendered.template,
                findings=[finding.as_dict() for finding in rendered.findings],
            )
            session.add(post)
            posts.append(post)
    session.flush()
    return posts


def incident_reach(*, session: Session, incident_id: int) -> int:
    """How many comments the incident explained (drafts that named it)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(IncidentComment)
            .where(IncidentComment.incident_id == incident_id)
        )
        or 0
    )
