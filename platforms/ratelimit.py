"""What a platform told us about its rate limits, and the rule that follows from it:
no request to a limited endpoint before its reset.

Each endpoint has its own bucket (`limit`, `remaining`, `reset` as a Unix time), filled
from the response headers. A bucket with nothing remaining blocks its endpoint until
the reset; the adapter refuses the call locally instead of spending a request the
platform would refuse. The state is a plain dict so that it can be stored with the
source and restored by another process: a restarted worker keeps waiting.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ecoute.platforms.base import RateLimited


class RateLimits:
    """Per-endpoint buckets plus a slow-down factor for platforms that report usage."""

    def __init__(self) -> None:
        self._buckets: dict[str, dict[str, float]] = {}
        self.slow_factor = 1.0
        self._lock = threading.Lock()

    def check(self, endpoint: str, now: datetime) -> None:
        """Raise RateLimited if `endpoint` may not be called at `now`."""
        with self._lock:
            bucket = self._buckets.get(endpoint)
        if bucket and bucket.get("remaining", 1) <= 0 and now.timestamp() < bucket["reset"]:
            retry_at = datetime.fromtimestamp(bucket["reset"], UTC)
            raise RateLimited(
                f"{endpoint}: rate limit reached; no request before {retry_at.isoformat()}",
                retry_at=retry_at,
            )

    def record(self, endpoint: str, *, limit: float | None, remaining: float, reset: float) -> None:
        """Store what the platform said about `endpoint` after a call."""
        with self._lock:
            self._buckets[endpoint] = {
                "limit": float(limit if limit is not None else remaining),
                "remaining": float(remaining),
                "reset": float(reset),
            }

    def block(self, endpoint: str, until: datetime) -> None:
        """Mark `endpoint` exhausted until `until` (a 429 or a throttling error)."""
        with self._lock:
            previous = self._buckets.get(endpoint, {})
            reset = max(until.timestamp(), previous.get("reset", 0.0))
            self._buckets[endpoint] = {
                "limit": previous.get("limit", 0.0),
                "remaining": 0.0,
                "reset": float(math.ceil(reset)),
            }

    def blocked_until(self, now: datetime) -> datetime | None:
        """The latest reset among exhausted buckets still in the future, if any."""
        with self._lock:
            resets = [
                bucket["reset"]
                for bucket in self._buckets.values()
                if bucket.get("remaining", 1) <= 0 and bucket["reset"] > now.timestamp()
            ]
        return datetime.fromtimestamp(max(resets), UTC) if resets else None

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "buckets": {name: dict(bucket) for name, bucket in self._buckets.items()},
                "slow_factor": self.slow_factor,
            }

    def restore(self, state: Mapping[str, Any] | None) -> None:
        """Merge a stored snapshot in, keeping whichever view of each bucket is stricter."""
        merged = merge_states(self.snapshot(), state or {})
        with self._lock:
            self._buckets = merged["buckets"]
            self.slow_factor = float(merged.get("slow_factor", 1.0))


def _stricter(a: Mapping[str, float], b: Mapping[str, float]) -> dict[str, float]:
    if a.get("reset", 0) != b.get("reset", 0):
        return dict(a if a.get("reset", 0) > b.get("reset", 0) else b)
    return dict(a if a.get("remaining", 0) <= b.get("remaining", 0) else b)


class KeepsRateLimits:
    """The `RateAware` side of an adapter whose limits live in `self.limits`: the worker
    saves this state with the source and hands it back to the next process."""

    limits: RateLimits

    def rate_limit_state(self) -> dict[str, Any]:
        return self.limits.snapshot()

    def restore_rate_limit_state(self, state: dict[str, Any]) -> None:
        self.limits.restore(state)

    def blocked_until(self, now: datetime) -> datetime | None:
        return self.limits.blocked_until(now)


def merge_states(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Combine two snapshots written by different workers (poller, publisher)."""
    buckets: dict[str, dict[str, float]] = {}
    for state in (a, b):
        for name, bucket in (state.get("buckets") or {}).items():
            buckets[name] = _stricter(buckets[name], bucket) if name in buckets else dict(bucket)
    slow = max(float(a.get("slow_factor", 1.0) or 1.0), float(b.get("slow_factor", 1.0) or 1.0))
    if "slow_factor" in b:
        slow = float(b["slow_factor"])
    return {"buckets": buckets, "slow_factor": slow}
