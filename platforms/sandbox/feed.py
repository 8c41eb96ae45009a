"""Playing a feed of comments into the sandbox over time, and the sources that read it.

This is what makes the demo honest: comments are posted on the emulated platforms, and
Écoute discovers them by polling through the real X and Facebook adapters, exactly as
it would in production.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ecoute.core.settings import SourceSettings
from ecoute.platforms.replay import FeedItem
from ecoute.platforms.sandbox.server import Sandbox

DEMO_X_ACCOUNT = "Fibrelle"
DEMO_PAGE_ID = "104857600"
DEMO_PAGE_NAME = "Fibrelle"
DEMO_ENV = {
    "ECOUTE_SANDBOX_X_BEARER": "sandbox-x-app-token",
    "ECOUTE_SANDBOX_X_USER": "sandbox-x-user-token",
    "ECOUTE_SANDBOX_FB_PAGE": "sandbox-fb-page-token",
}


@dataclass(frozen=True, slots=True)
class DemoAccounts:
    x_account: str = DEMO_X_ACCOUNT
    page_id: str = DEMO_PAGE_ID
    page_name: str = DEMO_PAGE_NAME


def prepare_demo(sandbox: Sandbox, accounts: DemoAccounts = DemoAccounts()) -> dict[str, str]:
    """Create the brand's X account and Facebook page with their tokens; return the
    environment variables to export so that `demo_sources` can authenticate."""
    sandbox.add_x_app_token(DEMO_ENV["ECOUTE_SANDBOX_X_BEARER"])
    sandbox.add_x_account(
        accounts.x_account, followers=48_000, user_token=DEMO_ENV["ECOUTE_SANDBOX_X_USER"]
    )
    sandbox.add_page(accounts.page_id, accounts.page_name, token=DEMO_ENV["ECOUTE_SANDBOX_FB_PAGE"])
    return dict(DEMO_ENV)


def demo_sources(
    sandbox: Sandbox, accounts: DemoAccounts = DemoAccounts(), *, poll_interval: int = 5
) -> list[SourceSettings]:
    """One X source and one Facebook source pointed at the running sandbox."""
    return [
        SourceSettings(
            name="sandbox-x",
            platform="x",
            account=accounts.x_account,
            poll_interval=poll_interval,
            token_env="ECOUTE_SANDBOX_X_BEARER",
            user_token_env="ECOUTE_SANDBOX_X_USER",
            api_url=sandbox.x_url,
        ),
        SourceSettings(
            name="sandbox-facebook",
            platform="facebook",
            account=accounts.page_id,
            poll_interval=poll_interval,
            token_env="ECOUTE_SANDBOX_FB_PAGE",
            api_url=sandbox.graph_url,
        ),
    ]


class FeedPlayer:
    """Posts feed comments on the sandbox at their offsets, divided by `speed`.

    Each feed thread becomes a post by the brand (a tweet, a page post) the first time
    a comment refers to it; replies keep their parent when the parent was posted.
    """

    def __init__(
        self,
        sandbox: Sandbox,
        items: Sequence[FeedItem],
        speed: float,
        accounts: DemoAccounts = DemoAccounts(),
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.sandbox = sandbox
        self.items = list(items)
        self.speed = speed
        self.accounts = accounts
        self.posted = 0
        self.skipped = 0
        self.done = threading.Event()
        self._stop = threading.Event()
        self._roots: dict[tuple[str, str], str] = {}
        self._ids: dict[str, tuple[str, str]] = {}
        self._thread = threading.Thread(target=self._run, name="sandbox-feed", daemon=True)

    def start(self) -> FeedPlayer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)

    def _run(self) -> None:
        started = time.monotonic()
        try:
            for item in self.items:
                delay = item.offset_s / self.speed - (time.monotonic() - started)
                if delay > 0 and self._stop.wait(delay):
                    return
                self.post(item)
        finally:
            self.done.set()

    def post(self, item: FeedItem) -> str | None:
        """Post one feed comment now; return its id on the sandbox."""
        comment = item.comment
        platform = str(comment.raw.get("platform", "x"))
        thread = comment.thread_id or "main"
        parent = self._ids.get(comment.parent_external_id or "")
        if platform == "x":
            root = self._root("x", thread)
            if parent and parent[0] == "x":
                parent_id, mention = parent[1], self._x_author(parent[1])
            else:
                parent_id, mention = root, self.accounts.x_account
            self.sandbox.x.add_user(
                comment.author_handle,
                name=comment.author_name,
                followers=comment.author_followers,
                verified=comment.author_verified,
            )
            text = (
                comment.text
                if f"@{mention}".lower() in comment.text.lower()
                else f"@{mention} {comment.text}"
            )
            tweet = self.sandbox.x.post(
                comment.author_handle, text, reply_to=parent_id, likes=comment.like_count
            )
            new_id = str(tweet.id)
        elif platform == "facebook":
            root = self._root("facebook", thread)
            posted = self.sandbox.graph.add_comment(
                root,
                comment.text,
                author_id=f"fb-{comment.author_id}",
                author_name=comment.author_name or comment.author_handle,
                parent_id=parent[1] if parent and parent[0] == "facebook" else None,
                likes=comment.like_count,
            )
            new_id = posted.id
        else:
            self.skipped += 1
            return None
        self._ids[comment.external_id] = (platform, new_id)
        self.posted += 1
        return new_id

    def _x_author(self, tweet_id: str) -> str:
        with self.sandbox.x.lock:
            tweet = self.sandbox.x.tweets[int(tweet_id)]
            return self.sandbox.x.users[tweet.author_id].username

    def _root(self, platform: str, thread: str) -> str:
        key = (platform, thread)
        if key not in self._roots:
            if platform == "x":
                tweet = self.sandbox.x.post(self.accounts.x_account, f"Fibrelle news ({thread})")
                self._roots[key] = str(tweet.id)
            else:
                post = self.sandbox.graph.add_post(
                    self.accounts.page_id, f"Fibrelle news ({thread})"
                )
                self._roots[key] = post.id
        return self._roots[key]


def play_feed(
    sandbox: Sandbox,
    feed_items: Sequence[FeedItem],
    speed: float = 1.0,
    accounts: DemoAccounts = DemoAccounts(),
) -> FeedPlayer:
    """Start playing `feed_items` into `sandbox` in a background thread."""
    return FeedPlayer(sandbox, feed_items, speed, accounts).start()
