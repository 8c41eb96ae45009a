"""The shape every platform adapter has, whatever network it talks to.

Adapters follow the incremental-connector pattern: `fetch` takes the saved cursor and
returns parsed comments with the cursor to save *after* they are stored, so a crash
between the two re-reads a page instead of skipping one. Adapters never touch the
database; the monitor stores what they return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from ecoute.core.domain import Platform


class PlatformError(Exception):
    """A platform call failed. `retry_at` says when trying again makes sense."""

    def __init__(self, message: str, *, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class AuthenticationFailed(PlatformError):
    """The token is invalid, expired or lacks a permission: a person must act."""


class RateLimited(PlatformError):
    """The platform asked us to wait; no request may be sent before `retry_at`."""


class TransientError(PlatformError):
    """A server error, a timeout or a garbled answer: trying again later may work."""


class AlreadyDone(PlatformError):
    """The platform says the action was already carried out (e.g. a comment that already
    received its one private reply): record it as done, never send it again."""


class NotSupported(PlatformError):
    """The platform has no such action (e.g. a private reply on X); retrying will not help."""


@dataclass(frozen=True, slots=True)
class IncomingComment:
    """One public comment as a platform returned it, already parsed into plain fields."""

    external_id: str
    author_id: str
    author_handle: str
    text: str
    created_at: datetime
    thread_id: str | None = None
    parent_external_id: str | None = None
    author_name: str | None = None
    author_followers: int = 0
    author_verified: bool = False
    permalink: str | None = None
    like_count: int = 0
    reply_count: int = 0
    share_count: int = 0
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A page of comments and the cursor that is valid once they are stored."""

    comments: list[IncomingComment]
    cursor: dict[str, Any]
    has_more: bool = False
    rate_limit: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """What an adapter needs to answer a stored comment."""

    external_id: str
    thread_id: str | None
    author_handle: str
    text: str = ""
    parent_external_id: str | None = None


class SourceAdapter(Protocol):
    """A platform account or page Écoute listens to and answers on."""

    platform: Platform

    def fetch(self, cursor: dict[str, Any]) -> FetchResult:
        """Return the next comments after `cursor` (an empty dict on the first call)."""
        ...

    def publish_reply(self, target: ReplyTarget, text: str) -> str:
        """Publish `text` as a public reply to `target`; return the platform's reply id."""
        ...

    def find_reply(self, target: ReplyTarget, text: str) -> str | None:
        """The id of a reply we already published to `target` with `text`, if any.

        The outbox asks this before retrying, so that a crash between the platform's
        answer and our commit never produces a second public reply.
        """
        ...

    def hide(self, target: ReplyTarget) -> None:
        """Hide the comment from the public under the moderation charter."""
        ...

    def unhide(self, target: ReplyTarget) -> None:
        """Make a hidden comment public again (a CM reversing a moderation decision)."""
        ...

    def private_reply(self, target: ReplyTarget, text: str) -> str:
        """Answer the comment's author privately (Messenger on Facebook); return the
        message id. Platforms without the feature raise NotSupported. Sending it again
        after a crash must not produce a second message."""
        ...


@runtime_checkable
class RateAware(Protocol):
    """An adapter that keeps rate-limit state the worker stores with the source, so that
    a restarted process still waits for the reset the platform announced."""

    def rate_limit_state(self) -> dict[str, Any]: ...

    def restore_rate_limit_state(self, state: dict[str, Any]) -> None: ...

    def blocked_until(self, now: datetime) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class Engagement:
    """How many people reacted to a comment, as the platform counts it now."""

    likes: int = 0
    replies: int = 0
    shares: int = 0

    @property
    def total(self) -> int:
        return self.likes + self.replies + self.shares


@runtime_checkable
class EngagementAware(Protocol):
    """An adapter that can read again the reactions to comments it already returned: a
    complaint whose likes and shares climb fast is a crisis in the making."""

    def engagement(self, external_ids: list[str]) -> dict[str, Engagement]:
        """Current reactions for each id still visible (deleted ones are left out)."""
        ...
