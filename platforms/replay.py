"""The replay source: plays a bundled feed of comments as if they were being polled.

It lets a CM try Écoute with no account and no network: comments appear over time, at
the pace they were written (or faster), through the same fetch/cursor contract as the
real platforms. Publishing is deterministic so that the outbox's reconciliation holds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from ecoute.core.domain import Platform
from ecoute.platforms.base import FetchResult, IncomingComment, PlatformError, ReplyTarget

DEFAULT_FEED = "demo_feed.json"


class FeedError(PlatformError):
    """The feed file is missing or malformed."""


@dataclass(frozen=True, slots=True)
class FeedItem:
    offset_s: float
    comment: IncomingComment


def _read_feed_text(feed: str | Path | None) -> tuple[str, str]:
    if feed is None or str(feed) == DEFAULT_FEED:
        resource = resources.files("ecoute.platforms") / "data" / DEFAULT_FEED
        return resource.read_text(encoding="utf-8"), f"bundled {DEFAULT_FEED}"
    path = Path(feed)
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedError(f"{path}: cannot read the replay feed ({exc})") from None


def load_feed(feed: str | Path | None = None) -> list[FeedItem]:
    """Parse a replay feed; every comment is checked so a bad file fails at start-up."""
    text, label = _read_feed_text(feed)
    try:
        data = json.loads(text)
        threads = {thread["id"]: thread for thread in data.get("threads", [])}
        items: list[FeedItem] = []
        for index, entry in enumerate(data["comments"]):
            author = entry["author"]
            thread = threads.get(entry.get("thread_id"), {})
            items.append(
                FeedItem(
                    offset_s=float(entry["offset_s"]),
                    comment=IncomingComment(
                        external_id=str(entry["id"]),
                        author_id=str(author["id"]),
                        author_handle=str(author["handle"]),
                        author_name=author.get("name"),
                        author_followers=int(author.get("followers", 0)),
                        author_verified=bool(author.get("verified", False)),
                        text=str(entry["text"]),
                        created_at=datetime.fromtimestamp(0, UTC),
                        thread_id=entry.get("thread_id"),
                        parent_external_id=entry.get("parent_id"),
                        permalink=thread.get("permalink"),
                        like_count=int(entry.get("likes", 0)),
                        reply_count=int(entry.get("replies", 0)),
                        share_count=int(entry.get("shares", 0)),
                        raw={"platform": entry["platform"], "feed_index": index},
                    ),
                )
            )
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise FeedError(f"{label}: not a valid replay feed ({type(exc).__name__}: {exc})") from None
    items.sort(key=lambda item: item.offset_s)
    return items


class ReplayAdapter:
    """Releases the feed's comments as time passes since the first poll.

    The cursor holds the start instant and how many comments were already handed over,
    so a restarted process continues the same replay instead of starting it again.
    """

    platform = Platform.REPLAY

    def __init__(
        self,
        feed: str | Path | None = None,
        *,
        speed: float = 1.0,
        page_size: int = 100,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.items = load_feed(feed)
        self.speed = speed
        self.page_size = page_size
        self.clock = clock

    def fetch(self, cursor: dict[str, Any]) -> FetchResult:
        now = self.clock()
        started_at = datetime.fromisoformat(cursor["started_at"]) if "started_at" in cursor else now
        position = int(cursor.get("position", 0))
        elapsed = (now - started_at).total_seconds() * self.speed
        released = position
        while released < len(self.items) and self.items[released].offset_s <= elapsed:
            released += 1
        end = min(released, position + self.page_size)
        comments = [self._dated(item, started_at) for item in self.items[position:end]]
        return FetchResult(
            comments=comments,
            cursor={"started_at": started_at.isoformat(), "position": end},
            has_more=end < released,
        )

    def _dated(self, item: FeedItem, started_at: datetime) -> IncomingComment:
        comment = item.comment
        posted = started_at + timedelta(seconds=item.offset_s / self.speed)
        return IncomingComment(**{**_fields(comment), "created_at": posted})

    def publish_reply(self, target: ReplyTarget, text: str) -> str:
        return self._reply_id(target, text)

    def find_reply(self, target: ReplyTarget, text: str) -> str | None:
        return None

    def hide(self, target: ReplyTarget) -> None:
        """Hiding on a replayed feed changes nothing anywhere; it always succeeds."""

    @staticmethod
    def _reply_id(target: ReplyTarget, text: str) -> str:
        digest = hashlib.sha256(f"{target.external_id}\n{text}".encode()).hexdigest()[:16]
        return f"replay-{digest}"


def _fields(comment: IncomingComment) -> dict[str, Any]:
    return {name: getattr(comment, name) for name in comment.__slots__}
