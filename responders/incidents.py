"""Incident mode, the pure part: what an incident says and which complaints it explains.

When the brand has a known problem (an outage, a late delivery, a billing error), every
complaint about it deserves the same plain admission and the same status link, and the
CM should not have to type it a hundred times. An incident is matched by the keywords
the CM gave when declaring it (accents and case ignored; `coupur*` covers "coupure" and
"coupures"), never by guesswork: a complaint about something else keeps the ordinary
reply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .text import fold, phrase_pattern


@dataclass(frozen=True, slots=True)
class IncidentView:
    """An active incident as drafting sees it (no database session needed)."""

    id: int
    title: str
    summary: Mapping[str, str]
    status_url: str | None
    keywords: tuple[str, ...]
    resolution: Mapping[str, str] = field(default_factory=dict)
    pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def build(
        cls,
        *,
        id: int,
        title: str,
        summary: Mapping[str, str],
        status_url: str | None,
        keywords: Sequence[str],
        resolution: Mapping[str, str] | None = None,
    ) -> IncidentView:
        return cls(
            id=id,
            title=title,
            summary=dict(summary),
            status_url=status_url,
            keywords=tuple(keywords),
            resolution=dict(resolution or {}),
            pattern=phrase_pattern(list(keywords)),
        )

    def summary_for(self, language: str) -> str:
        """The summary in `language`, or the title when none was written for it."""
        return self.summary.get(language) or self.title

    def context(self, language: str) -> dict[str, str | None]:
        """What templates receive as `incident`."""
        return {
            "title": self.title,
            "summary": as_sentence(self.summary_for(language)),
            "status_url": self.status_url,
            "resolution": as_sentence(self.resolution.get(language) or ""),
        }


def as_sentence(text: str) -> str:
    """A CM's summary, closed with a full stop if they left it open."""
    text = " ".join(text.split())
    if text and text[-1] not in ".!?…":
        text += "."
    return text


def match_incident(text: str, incidents: Sequence[IncidentView]) -> IncidentView | None:
    """The most recently declared incident whose keywords appear in `text`, if any."""
    if not incidents:
        return None
    folded = fold(text)
    for incident in sorted(incidents, key=lambda i: i.id, reverse=True):
        if incident.pattern is not None and incident.pattern.search(folded):
            return incident
    return None
