"""Building the adapter for a configured source: the one place that maps platform names
to adapter classes."""

from __future__ import annotations

from ecoute.core.settings import SourceSettings
from ecoute.platforms.base import SourceAdapter
from ecoute.platforms.replay import ReplayAdapter


class AdapterUnavailable(Exception):
    """The configured platform cannot be reached with this configuration."""


def build_adapter(source: SourceSettings) -> SourceAdapter:
    """The adapter that polls and answers for `source`."""
    if source.platform == "replay":
        return ReplayAdapter(source.feed, speed=source.speed)
    raise AdapterUnavailable(
        f"source {source.name!r}: platform {source.platform!r} has no adapter in this build"
    )
