"""Building the adapter for a configured source: the one place that maps platform names
to adapter classes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ecoute.core.settings import SourceSettings
from ecoute.platforms.base import SourceAdapter
from ecoute.platforms.facebook import FacebookAdapter
from ecoute.platforms.http import DEFAULT_TIMEOUT_S
from ecoute.platforms.replay import ReplayAdapter
from ecoute.platforms.tokens import from_environment
from ecoute.platforms.x import XAdapter


class AdapterUnavailable(Exception):
    """The configured platform cannot be reached with this configuration."""


def build_adapter(
    source: SourceSettings,
    *,
    clock: Callable[[], datetime] | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> SourceAdapter:
    """The adapter that polls and answers for `source`.

    Tokens are read from the environment variables the source names, at each call, so a
    renewed token is used without rebuilding the adapter. `api_url` (None for the real
    platform) lets the same adapter talk to the sandbox.
    """
    extra = {"clock": clock} if clock is not None else {}
    if source.platform == "replay":
        return ReplayAdapter(source.feed, speed=source.speed, **extra)
    if not source.token_env:
        raise AdapterUnavailable(
            f"source {source.name!r}: token_env is required for platform {source.platform!r}; "
            "name the environment variable that holds the access token"
        )
    if source.platform == "x":
        user_token = (
            from_environment(source.user_token_env, "the X user-context token")
            if source.user_token_env
            else None
        )
        return XAdapter(
            source.account,
            bearer_token=from_environment(source.token_env, "the X bearer token"),
            user_token=user_token,
            api_url=source.api_url,
            timeout=timeout,
            **extra,
        )
    if source.platform == "facebook":
        return FacebookAdapter(
            source.account,
            page_token=from_environment(source.token_env, "the Facebook page token"),
            token_name=f"the page token in {source.token_env}",
            api_url=source.api_url,
            graph_version=source.graph_version,
            timeout=timeout,
            **extra,
        )
    raise AdapterUnavailable(
        f"source {source.name!r}: platform {source.platform!r} has no adapter in this build"
    )
