"""Choosing among a case's template variants so that replies never look automated.

Platforms treat identical automated replies as spam, and two customers in one thread
should not read the same words. The picker remembers, per thread, which variants were
already used and prefers the least used one; among equals it prefers what was least used
today, then a rotation that depends on the thread and the author, so that the choice is
stable when a batch is drafted again after a crash.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict


def normalise_reply(text: str) -> str:
    """The form in which two replies count as identical (case and spacing ignored)."""
    return " ".join(text.split()).casefold()


def _stable_index(*parts: str, modulo: int) -> int:
    key = "|".join(parts).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=4).digest(), "big") % modulo


class VariantPicker:
    """Per-thread and per-day memory of the variants used; fill it with `remember`."""

    def __init__(self) -> None:
        self._in_thread: dict[str, Counter[str]] = defaultdict(Counter)
        self._texts: dict[str, list[str]] = defaultdict(list)
        self._norms: dict[str, set[str]] = defaultdict(set)
        self._today: Counter[str] = Counter()

    def remember(
        self, thread_key: str, template: str | None, text: str | None, *, today: bool = True
    ) -> None:
        """Record a reply drafted in a thread (from the database, `today=False` when the
        day's counts come from `count_today`, or just now)."""
        if template:
            self._in_thread[thread_key][template] += 1
            if today:
                self._today[template] += 1
        if text:
            self._texts[thread_key].append(text)
            self._norms[thread_key].add(normalise_reply(text))

    def count_today(self, template: str, count: int) -> None:
        """Record how often a template was used today in other threads."""
        self._today[template] += count

    def thread_texts(self, thread_key: str) -> list[str]:
        return self._texts.get(thread_key, [])

    def used_in_thread(self, thread_key: str, template: str) -> int:
        return self._in_thread.get(thread_key, Counter())[template]

    def thread_norms(self, thread_key: str) -> set[str]:
        """The thread's replies in `normalise_reply` form, for a constant-time lookup."""
        return self._norms.get(thread_key, set())

    def order(self, names: list[str], *, thread_key: str, author_key: str) -> list[str]:
        """The variants to try, best first."""
        if not names:
            return []
        start = _stable_index(thread_key, author_key, modulo=len(names))
        rotated = names[start:] + names[:start]
        used = self._in_thread.get(thread_key, Counter())
        return sorted(rotated, key=lambda name: (used[name], self._today[name]))
