"""Facebook pages through facebook-sdk's `GraphAPI`: comments and replies on the page's
recent posts, replying, hiding and unhiding, and the Messenger private reply.

One `fetch` sends at most one request. A polling cycle first lists the page's posts of
the last days (`GET /{page-id}/posts`); a post whose `updated_time` moved has new
comments, so only those posts are read (`GET /{post-id}/comments` with `filter=stream`
for replies too, `order=chronological`, `since` = the newest comment already stored,
cursor paging with `after`). A post's `since` advances only when its last page is
stored.

Usage headers (`X-App-Usage`, `X-Page-Usage`, `X-Business-Use-Case-Usage`) slow polling
down as the budget is spent; throttling errors (4, 17, 32, 613, 80001) stop calls until
the estimated time to regain access; error 190 means the page token expired.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from ecoute.core.domain import Platform
from ecoute.platforms.base import (
    AlreadyDone,
    AuthenticationFailed,
    Engagement,
    FetchResult,
    IncomingComment,
    PlatformError,
    RateLimited,
    ReplyTarget,
    TransientError,
)
from ecoute.platforms.graph import GraphAnswer, GraphCallError, GraphClient
from ecoute.platforms.http import DEFAULT_TIMEOUT_S
from ecoute.platforms.ratelimit import KeepsRateLimits, RateLimits
from ecoute.platforms.tokens import TokenSource

COMMENT_FIELDS = "id,message,from,created_time,like_count,comment_count,parent{id},permalink_url"
POST_FIELDS = "id,created_time,updated_time,permalink_url"
THROTTLE_CODES = frozenset({4, 17, 32, 613, 80001})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
TRANSIENT_CODES = frozenset({1, 2})
ALREADY_REPLIED = 10900
BUCKET = "page"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class FacebookAdapter(KeepsRateLimits):
    """Listens to and answers on one Facebook page with a page access token."""

    platform = Platform.FACEBOOK

    def __init__(
        self,
        page_id: str,
        *,
        page_token: TokenSource,
        token_name: str = "the page token",
        api_url: str | None = None,
        graph_version: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        clock: Callable[[], datetime] = _utcnow,
        page_size: int = 100,
        window_days: int = 7,
        throttle_default_s: float = 300.0,
    ) -> None:
        self.page_id = page_id.strip()
        self.token_name = token_name
        self.clock = clock
        self.page_size = max(1, min(page_size, 100))
        self.window_days = window_days
        self.throttle_default_s = throttle_default_s
        self.limits = RateLimits()
        self.graph = GraphClient(
            page_token, version=graph_version, api_url=api_url, timeout=timeout
        )

    # -- calling ------------------------------------------------------------------------

    def _call(
        self, what: str, method: Callable[..., GraphAnswer], path: str, **params: Any
    ) -> dict[str, Any]:
        self.limits.check(BUCKET, self.clock())
        try:
            answer = method(path, **params)
        except GraphCallError as exc:
            self._usage(exc.headers)
            raise self._error(what, exc) from None
        except requests.Timeout:
            raise TransientError(f"Facebook did not answer ({what}) in time") from None
        except requests.RequestException as exc:
            raise TransientError(f"cannot reach Facebook ({what}): {type(exc).__name__}") from None
        self._usage(answer.headers)
        return answer.body

    def _error(self, what: str, exc: GraphCallError) -> PlatformError:
        code = exc.code
        message = str(exc.error.get("message") or exc)
        label = f"page {self.page_id}"
        if code == 190:
            return AuthenticationFailed(
                f"Facebook rejected {self.token_name} for {label} (error 190: {message}). The "
                "token expired or was revoked: generate a new page access token with "
                "pages_read_engagement, pages_manage_engagement and pages_messaging, and export it"
            )
        if code in PERMISSION_CODES:
            return AuthenticationFailed(
                f"Facebook refused {what} on {label} for lack of permission (error {code}: "
                f"{message}); grant the page token pages_read_engagement, "
                "pages_manage_engagement and pages_messaging"
            )
        if code in THROTTLE_CODES:
            until = self._throttle_until(exc.headers)
            self.limits.block(BUCKET, until)
            return RateLimited(
                f"Facebook throttled {label} (error {code}: {message}); next request at "
                f"{until.isoformat()}",
                retry_at=until,
            )
        if code == ALREADY_REPLIED:
            return AlreadyDone(f"Facebook: {message} ({what} on {label})")
        if (
            code is None
            or code in TRANSIENT_CODES
            or exc.error.get("is_transient")
            or (exc.status or 0) >= 500
        ):
            return TransientError(f"Facebook failed {what} on {label}: {message}")
        return PlatformError(f"Facebook refused {what} on {label} (error {code}: {message})")

    def _usage(self, headers: dict[str, str]) -> None:
        """Read the usage headers: slow down as the budget fills, stop when it is spent."""
        percents: list[float] = []
        regain_minutes = 0.0
        for name in ("x-app-usage", "x-page-usage", "x-business-use-case-usage"):
            raw = headers.get(name)
            if not raw:
                continue
            try:
                value = json.loads(raw)
            except ValueError:
                continue
            entries: list[dict[str, Any]] = []
            if name == "x-business-use-case-usage" and isinstance(value, dict):
                for items in value.values():
                    entries += (
                        [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
                    )
            elif isinstance(value, dict):
                entries.append(value)
            for entry in entries:
                for key in ("call_count", "total_cputime", "total_time"):
                    if isinstance(entry.get(key), int | float):
                        percents.append(float(entry[key]))
                regain = entry.get("estimated_time_to_regain_access")
                if isinstance(regain, int | float):
                    regain_minutes = max(regain_minutes, float(regain))
        if percents:
            usage = max(percents)
            self.limits.slow_factor = (
                1.0 if usage < 50 else 2.0 if usage < 75 else 4.0 if usage < 90 else 8.0
            )
        if regain_minutes > 0:
            self.limits.block(BUCKET, self.clock() + timedelta(minutes=regain_minutes))

    def _throttle_until(self, headers: dict[str, str]) -> datetime:
        self._usage(headers)
        blocked = self.limits.blocked_until(self.clock())
        return blocked or self.clock() + timedelta(seconds=self.throttle_default_s)

    # -- reading ------------------------------------------------------------------------

    def fetch(self, cursor: dict[str, Any]) -> FetchResult:
        state = copy.deepcopy(dict(cursor or {}))
        if state.get("step") == "comments" and state.get("queue"):
            return self._fetch_comments(state)
        return self._fetch_posts(state)

    def _result(
        self, comments: list[IncomingComment], state: dict[str, Any], has_more: bool
    ) -> FetchResult:
        return FetchResult(comments, state, has_more, self.limits.snapshot())

    def _fetch_posts(self, state: dict[str, Any]) -> FetchResult:
        now = self.clock()
        horizon = now - timedelta(days=self.window_days)
        params: dict[str, Any] = {
            "fields": POST_FIELDS,
            "since": int(horizon.timestamp()),
            "limit": self.page_size,
        }
        if state.get("after"):
            params["after"] = state["after"]
        body = self._call("listing posts", self.graph.get, f"{self.page_id}/posts", **params)
        posts: dict[str, dict[str, Any]] = state.setdefault("posts", {})
        queue: list[str] = state.setdefault("queue", [])
        for post in _data(body):
            post_id = _field(post, "id")
            updated = _parse_time(
                post.get("updated_time") or post.get("created_time"), "updated_time"
            )
            created = _parse_time(post.get("created_time"), "created_time")
            info = posts.setdefault(post_id, {"since": None, "seen": None})
            info["created"] = created.timestamp()
            if info["seen"] is None or updated.timestamp() > info["seen"]:
                info["updated"] = updated.timestamp()
                if post_id not in queue:
                    queue.append(post_id)
        after = _next_after(body)
        if after:
            state["after"] = after
            state["step"] = "posts"
            return self._result([], state, True)
        state.pop("after", None)
        for post_id in [
            p
            for p, info in posts.items()
            if info.get("created", now.timestamp()) < horizon.timestamp()
        ]:
            del posts[post_id]
            if post_id in queue:
                queue.remove(post_id)
        state["step"] = "comments" if queue else "posts"
        return self._result([], state, bool(queue))

    def _fetch_comments(self, state: dict[str, Any]) -> FetchResult:
        queue: list[str] = state["queue"]
        post_id = queue[0]
        info = state["posts"].setdefault(post_id, {"since": None, "seen": None})
        params: dict[str, Any] = {
            "fields": COMMENT_FIELDS,
            "filter": "stream",
            "order": "chronological",
            "limit": self.page_size,
        }
        if info.get("since"):
            params["since"] = int(info["since"])
        if state.get("after"):
            params["after"] = state["after"]
        body = self._call("reading comments", self.graph.get, f"{post_id}/comments", **params)
        comments: list[IncomingComment] = []
        newest = float(state.get("pending") or 0)
        for item in _data(body):
            comment = _parse_comment(item, post_id)
            newest = max(newest, comment.created_at.timestamp())
            if comment.author_id != self.page_id:
                comments.append(comment)
        after = _next_after(body)
        if after:
            state["after"] = after
            state["pending"] = newest
            return self._result(comments, state, True)
        state.pop("after", None)
        state.pop("pending", None)
        if newest:
            info["since"] = max(float(info.get("since") or 0), newest)
        info["seen"] = info.get("updated", info.get("seen"))
        queue.pop(0)
        if not queue:
            state["step"] = "posts"
        return self._result(comments, state, bool(queue))

    # -- answering ----------------------------------------------------------------------

    def publish_reply(self, target: ReplyTarget, text: str) -> str:
        body = self._call(
            "replying", self.graph.post, f"{target.external_id}/comments", message=text
        )
        return _field(body, "id")

    def find_reply(self, target: ReplyTarget, text: str) -> str | None:
        """Facebook keeps two levels: a reply to a reply joins its parent's replies."""
        container = target.parent_external_id or target.external_id
        after: str | None = None
        for _ in range(10):
            params: dict[str, Any] = {"fields": "id,message,from", "limit": 100}
            if after:
                params["after"] = after
            body = self._call(
                "looking for our reply", self.graph.get, f"{container}/comments", **params
            )
            for item in _data(body):
                author = item.get("from") or {}
                if str(author.get("id")) == self.page_id and _same_text(
                    str(item.get("message", "")), text
                ):
                    return str(item["id"])
            after = _next_after(body)
            if not after:
                return None
        return None

    def engagement(self, external_ids: list[str]) -> dict[str, Engagement]:
        """Likes and replies of comments already stored, through Graph's multi-ID read."""
        found: dict[str, Engagement] = {}
        for start in range(0, len(external_ids), 50):
            batch = external_ids[start : start + 50]
            body = self._call(
                "reading reactions",
                self.graph.get,
                "",
                ids=",".join(batch),
                fields="id,like_count,comment_count",
            )
            for ident, item in body.items():
                if isinstance(item, dict):
                    found[str(ident)] = Engagement(
                        likes=int(item.get("like_count") or 0),
                        replies=int(item.get("comment_count") or 0),
                    )
        return found

    def hide(self, target: ReplyTarget) -> None:
        self._call("hiding a comment", self.graph.post, target.external_id, is_hidden="true")

    def unhide(self, target: ReplyTarget) -> None:
        self._call("unhiding a comment", self.graph.post, target.external_id, is_hidden="false")

    def private_reply(self, target: ReplyTarget, text: str) -> str:
        """Send the one Messenger message Facebook allows per comment. A repeat after a
        crash is refused by Facebook (error 10900), which raises AlreadyDone."""
        body = self._call(
            "sending a private reply",
            self.graph.post,
            f"{self.page_id}/messages",
            recipient=json.dumps({"comment_id": target.external_id}),
            message=json.dumps({"text": text}),
        )
        return _field(body, "message_id")


def _data(body: dict[str, Any]) -> list[dict[str, Any]]:
    data = body.get("data")
    if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
        raise TransientError("Facebook returned a list without a 'data' array of objects")
    return data


def _field(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if value in (None, ""):
        raise TransientError(f"Facebook returned an object without '{name}'")
    return str(value)


def _next_after(body: dict[str, Any]) -> str | None:
    paging = body.get("paging") or {}
    if not paging.get("next"):
        return None
    after = (paging.get("cursors") or {}).get("after")
    return str(after) if after else None


def _parse_time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise TransientError(f"Facebook returned an object without '{name}'")
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)
    except ValueError:
        raise TransientError(f"Facebook returned '{name}' that is not a time: {value!r}") from None


def _same_text(published: str, wanted: str) -> bool:
    return " ".join(published.split()) == " ".join(wanted.split())


def _parse_comment(item: dict[str, Any], post_id: str) -> IncomingComment:
    author = item.get("from") if isinstance(item.get("from"), dict) else {}
    parent = item.get("parent") if isinstance(item.get("parent"), dict) else None
    name = str(author.get("name") or "Facebook user")
    return IncomingComment(
        external_id=_field(item, "id"),
        author_id=str(author.get("id") or "unknown"),
        author_handle=name,
        author_name=name,
        text=str(item.get("message") or ""),
        created_at=_parse_time(item.get("created_time"), "created_time"),
        thread_id=post_id,
        parent_external_id=str(parent["id"]) if parent and parent.get("id") else None,
        permalink=item.get("permalink_url"),
        like_count=int(item.get("like_count") or 0),
        reply_count=int(item.get("comment_count") or 0),
        raw={"platform": "facebook", "comment": item},
    )
