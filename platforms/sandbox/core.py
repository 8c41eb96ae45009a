"""What both emulated APIs share: requests and replies, scripted faults, counters.

The emulators are plain functions from a parsed `Request` to a `Reply`, so the HTTP
plumbing stays in one place and faults are applied the same way on both platforms.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

Clock = Callable[[], datetime]


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    base_url: str = ""

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else {}

    def form(self) -> dict[str, str]:
        """Form fields (facebook-sdk posts form-encoded data) or JSON fields."""
        kind = self.headers.get("content-type", "")
        if "json" in kind:
            data = self.json()
            return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {key: values[-1] for key, values in parsed.items()}


@dataclass(slots=True)
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    hold: bool = False
    raw: bytes | None = None

    def encoded(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


FAULT_KINDS = ("server_error", "timeout", "malformed", "rate_limit")


@dataclass(slots=True)
class Fault:
    """One scripted failure, consumed by the first request it matches.

    `after_effect` makes a write take effect before the failure is returned (the
    platform posted the reply, then the answer was lost): the case that tests
    exactly-once publishing.
    """

    kind: str
    method: str | None = None
    path_contains: str | None = None
    after_effect: bool = False
    seconds: float = 60.0
    status: int = 503

    def matches(self, request: Request) -> bool:
        if self.method and request.method != self.method.upper():
            return False
        return not (self.path_contains and self.path_contains not in request.path)


class FaultPlan:
    """Scripted faults first, then random ones at the configured rates."""

    def __init__(self, seed: int = 0) -> None:
        self._queue: list[Fault] = []
        self._lock = threading.Lock()
        self.rng = random.Random(seed)
        self.server_error_rate = 0.0
        self.timeout_rate = 0.0
        self.malformed_rate = 0.0
        self.after_effect_rate = 0.5

    def add(self, fault: Fault, count: int = 1) -> None:
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; expected one of {FAULT_KINDS}")
        with self._lock:
            self._queue.extend(
                Fault(**{s: getattr(fault, s) for s in fault.__slots__}) for _ in range(count)
            )

    def set_rates(
        self,
        *,
        server_error: float = 0.0,
        timeout: float = 0.0,
        malformed: float = 0.0,
        after_effect: float = 0.5,
    ) -> None:
        with self._lock:
            self.server_error_rate = server_error
            self.timeout_rate = timeout
            self.malformed_rate = malformed
            self.after_effect_rate = after_effect

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def pick(self, request: Request) -> Fault | None:
        with self._lock:
            for index, fault in enumerate(self._queue):
                if fault.matches(request):
                    return self._queue.pop(index)
            draw = self.rng.random()
            write = request.method != "GET"
            after = write and self.rng.random() < self.after_effect_rate
            if draw < self.server_error_rate:
                return Fault("server_error", after_effect=after, status=self.rng.choice([500, 503]))
            draw -= self.server_error_rate
            if draw < self.timeout_rate:
                return Fault("timeout", after_effect=after)
            draw -= self.timeout_rate
            if draw < self.malformed_rate and not write:
                return Fault("malformed")
        return None


class Stats:
    """Counters the tests and the benchmark read: requests, early requests, statuses."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counter: Counter[str] = Counter()

    def add(self, key: str, amount: int = 1) -> None:
        with self._lock:
            self.counter[key] += amount

    def get(self, key: str) -> int:
        with self._lock:
            return self.counter[key]

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counter)
