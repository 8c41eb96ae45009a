"""Clocks the sandbox, the adapters and the workers can share.

Rate-limit resets, backoffs and leases are all instants; giving every part the same
clock lets a test move time forward by hand (`ManualClock`) and lets the benchmark play
fifteen-minute rate-limit windows in seconds (`ScaledClock`) without anyone sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class ManualClock:
    """Time that only moves when a test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, instant: datetime) -> None:
        with self._lock:
            self._now = instant


class ScaledClock:
    """Real time running `scale` times faster from `start` (the wall clock by default).

    It can be rebuilt in another process from `start` and `origin` so that a child
    worker shares the parent's notion of now.
    """

    def __init__(
        self, scale: float, *, start: datetime | None = None, origin: float | None = None
    ) -> None:
        self.scale = scale
        self.start = start or datetime.now(UTC)
        self.origin = time.time() if origin is None else origin

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.origin) * self.scale)

    def real_seconds(self, virtual_seconds: float) -> float:
        return virtual_seconds / self.scale
