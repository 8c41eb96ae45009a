"""The subset of the Facebook Graph API that Écoute uses, with its JSON shapes and behaviour.

Endpoints (under any `/vNN.N/` prefix, which is recorded): a page's posts, an object's
comments (`filter=stream`, `order`, `since`, cursor paging), one object, replying to a
comment, hiding or unhiding it, and the Messenger private reply
(`POST /{page-id}/messages` with `recipient={"comment_id": …}`, once per comment).
Every answer carries `X-App-Usage` and, for page tokens, `X-Business-Use-Case-Usage`.
A page that spends its call budget is throttled (error 32) until the usage falls again;
a request sent while throttled is counted as early. Errors use Graph's error bodies.
"""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from ecoute.platforms.sandbox.core import Clock, Reply, Request, Stats

VERSION = re.compile(r"^v\d+\.\d+$")
READ, ENGAGE, MESSAGING = "pages_read_engagement", "pages_manage_engagement", "pages_messaging"
ALL_PERMISSIONS = frozenset({READ, ENGAGE, MESSAGING})
COMMENT_DEFAULT_FIELDS = ("created_time", "from", "message", "id")


@dataclass(slots=True)
class Page:
    id: str
    name: str
    call_limit: int = 4800
    window_s: float = 3600.0


@dataclass(slots=True)
class Post:
    id: str
    page_id: str
    message: str
    created_time: datetime
    updated_time: datetime


@dataclass(slots=True)
class FbComment:
    id: str
    post_id: str
    parent_id: str | None
    from_id: str
    from_name: str
    message: str
    created_time: datetime
    like_count: int = 0
    comment_count: int = 0
    is_hidden: bool = False
    privately_replied: bool = False


@dataclass(slots=True)
class PageToken:
    page_id: str
    permissions: frozenset[str] = ALL_PERMISSIONS
    expired: bool = False


def graph_error(
    status: int, code: int, message: str, kind: str = "OAuthException", subcode: int | None = None
) -> Reply:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = secrets.token_urlsafe(8)
    return Reply(status, {"error": error})


def _time(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _parse_time(value: str) -> float:
    if value.lstrip("-").isdigit():
        return float(value)
    return datetime.fromisoformat(value.replace("+0000", "+00:00")).timestamp()


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{index}".encode()).decode().rstrip("=")


def _uncursor(value: str) -> int:
    padded = value + "=" * (-len(value) % 4)
    text = base64.urlsafe_b64decode(padded.encode()).decode()
    if not text.startswith("offset:"):
        raise ValueError(value)
    return int(text.split(":", 1)[1])


def parse_fields(spec: str) -> dict[str, dict[str, Any]]:
    """`a,b{c,d},e` → {"a": {}, "b": {"c": {}, "d": {}}, "e": {}}."""
    out: dict[str, dict[str, Any]] = {}
    depth, start = 0, 0
    for index, char in enumerate(spec + ","):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "," and depth == 0:
            item = spec[start:index].strip()
            start = index + 1
            if not item:
                continue
            if "{" in item:
                name, inner = item.split("{", 1)
                out[name.split(".")[0]] = parse_fields(inner.rstrip("}"))
            else:
                out[item.split(".")[0]] = {}
    return out


class GraphApi:
    """State and request handling for the emulated Graph API."""

    def __init__(self, clock: Clock, stats: Stats) -> None:
        self.clock = clock
        self.stats = stats
        self.lock = threading.RLock()
        self.pages: dict[str, Page] = {}
        self.posts: dict[str, Post] = {}
        self.comments: dict[str, FbComment] = {}
        self.post_comments: dict[str, list[str]] = {}
        self.tokens: dict[str, PageToken] = {}
        self.replies: list[dict[str, Any]] = []
        self.private_replies: list[dict[str, Any]] = []
        self.hide_log: list[tuple[str, bool]] = []
        self.versions: set[str] = set()
        self.base_url = ""
        self._calls: dict[str, deque[float]] = {}
        self._throttled_until: dict[str, float] = {}
        self._counter = 1_000

    # -- scripting ---------------------------------------------------------------

    def add_page(
        self, page_id: str, name: str, *, call_limit: int = 4800, window_s: float = 3600.0
    ) -> Page:
        with self.lock:
            page = self.pages.setdefault(page_id, Page(page_id, name, call_limit, window_s))
            return page

    def add_post(self, page_id: str, message: str, *, at: datetime | None = None) -> Post:
        with self.lock:
            self._counter += 1
            at = at or self.clock()
            post = Post(f"{page_id}_{self._counter}", page_id, message, at, at)
            self.posts[post.id] = post
            self.post_comments[post.id] = []
            return post

    def add_comment(
        self,
        post_id: str,
        message: str,
        *,
        author_id: str,
        author_name: str,
        parent_id: str | None = None,
        at: datetime | None = None,
        likes: int = 0,
    ) -> FbComment:
        """A comment on `post_id`; with `parent_id`, a reply (Facebook keeps two levels,
        so a reply to a reply joins the top-level comment's replies). A reply always lives
        on its parent's post, as on Facebook; a script asking otherwise is refused."""
        with self.lock:
            post = self.posts[post_id]
            parent = self.comments.get(parent_id) if parent_id else None
            if parent is not None and parent.post_id != post_id:
                raise ValueError(
                    f"comment {parent_id} is on post {parent.post_id}, not {post_id}: "
                    "a reply must be added to its parent's post"
                )
            if parent is not None and parent.parent_id is not None:
                parent = self.comments[parent.parent_id]
            self._counter += 1
            at = at or self.clock()
            comment = FbComment(
                id=f"{post_id.split('_')[1]}_{self._counter}",
                post_id=post_id,
                parent_id=parent.id if parent else None,
                from_id=author_id,
                from_name=author_name,
                message=message,
                created_time=at,
                like_count=likes,
            )
            if parent is not None:
                parent.comment_count += 1
            self.comments[comment.id] = comment
            self.post_comments[post_id].append(comment.id)
            post.updated_time = max(post.updated_time, at)
            return comment

    def throttle(self, page_id: str, seconds: float) -> None:
        """Throttle `page_id` for `seconds` (error 32 until then)."""
        with self.lock:
            until = math.ceil(self.clock().timestamp() + seconds)
            self._throttled_until[page_id] = max(self._throttled_until.get(page_id, 0), until)

    # -- HTTP --------------------------------------------------------------------

    def blocked(self, request: Request) -> bool:
        """Whether this request arrives while its page is throttled."""
        token_value = request.query.get("access_token") or (
            request.form().get("access_token") if request.method == "POST" else None
        )
        with self.lock:
            token = self.tokens.get(token_value or "")
            if token is None:
                return False
            return self.clock().timestamp() < self._throttled_until.get(token.page_id, 0)

    def handle(self, request: Request, throttle_s: float | None = None) -> Reply:
        parts = request.path.strip("/").split("/")
        if not parts or not VERSION.match(parts[0]):
            return graph_error(
                400, 2635, "An API version is required, e.g. /v25.0/{node}", "OAuthException"
            )
        version, parts = parts[0], parts[1:]
        params = dict(request.query)
        if request.method == "POST":
            params.update(request.form())
        with self.lock:
            self.versions.add(version)
            token = self.tokens.get(params.get("access_token", ""))
            if token is None:
                return graph_error(
                    400, 190, "Invalid OAuth access token - Cannot parse access token"
                )
            if token.expired:
                self.stats.add("graph.expired")
                return graph_error(
                    400,
                    190,
                    "Error validating access token: Session has expired on Monday, 05-Jan-26 "
                    "08:00:00 PST.",
                    subcode=463,
                )
            page = self.pages[token.page_id]
            now = self.clock().timestamp()
            until = self._throttled_until.get(page.id, 0)
            if now < until:
                self.stats.add("graph.early_requests")
                return self._throttled(page, now)
            if throttle_s is not None:
                self._throttled_until[page.id] = math.ceil(now + throttle_s)
                return self._throttled(page, now)
            calls = self._calls.setdefault(page.id, deque())
            while calls and calls[0] <= now - page.window_s:
                calls.popleft()
            if len(calls) >= page.call_limit:
                self._throttled_until[page.id] = math.ceil(calls[0] + page.window_s)
                return self._throttled(page, now)
            calls.append(now)
            reply = self._dispatch(request.method, parts, params, token, version)
            reply.headers.update(self._usage_headers(page, now))
            return reply

    def _usage(self, page: Page, now: float) -> tuple[int, int]:
        calls = self._calls.get(page.id, deque())
        percent = min(100, int(100 * len(calls) / max(page.call_limit, 1)))
        until = self._throttled_until.get(page.id, 0)
        regain = math.ceil((until - now) / 60) if until > now else 0
        if until > now:
            percent = 100
        return percent, regain

    def _usage_headers(self, page: Page, now: float) -> dict[str, str]:
        percent, regain = self._usage(page, now)
        app = {
            "call_count": percent // 2,
            "total_cputime": percent // 4,
            "total_time": percent // 4,
        }
        buc = {
            page.id: [
                {
                    "type": "pages",
                    "call_count": percent,
                    "total_cputime": percent // 2,
                    "total_time": percent // 2,
                    "estimated_time_to_regain_access": regain,
                }
            ]
        }
        return {
            "x-app-usage": json.dumps(app),
            "x-business-use-case-usage": json.dumps(buc),
        }

    def _throttled(self, page: Page, now: float) -> Reply:
        reply = graph_error(400, 32, "(#32) Page request limit reached", "OAuthException")
        reply.headers.update(self._usage_headers(page, now))
        return reply

    def _dispatch(
        self, method: str, parts: list[str], params: dict[str, str], token: PageToken, version: str
    ) -> Reply:
        if method == "GET" and len(parts) == 2 and parts[1] == "posts":
            return self._need(token, READ) or self._list_posts(parts[0], params, token, version)
        if method == "GET" and len(parts) == 2 and parts[1] == "comments":
            return self._need(token, READ) or self._list_comments(parts[0], params, token, version)
        if method == "GET" and len(parts) == 1:
            return self._need(token, READ) or self._get_object(parts[0], params, token)
        if method == "GET" and not parts and params.get("ids"):
            return self._need(token, READ) or self._get_objects(params, token)
        if method == "POST" and len(parts) == 2 and parts[1] == "comments":
            return self._need(token, ENGAGE) or self._reply(parts[0], params, token)
        if method == "POST" and len(parts) == 2 and parts[1] == "messages":
            return self._need(token, MESSAGING) or self._private_reply(parts[0], params, token)
        if method == "POST" and len(parts) == 1 and "is_hidden" in params:
            return self._need(token, ENGAGE) or self._hide(parts[0], params, token)
        return _unsupported(("/".join(parts)), method)

    @staticmethod
    def _need(token: PageToken, permission: str) -> Reply | None:
        if permission in token.permissions:
            return None
        return graph_error(
            403,
            200,
            f"(#200) Permissions error: this action needs the {permission} permission",
            "OAuthException",
        )

    # -- reading -----------------------------------------------------------------

    def _own_post(self, object_id: str, token: PageToken) -> Post | None:
        post = self.posts.get(object_id)
        return post if post and post.page_id == token.page_id else None

    def _own_comment(self, object_id: str, token: PageToken) -> FbComment | None:
        comment = self.comments.get(object_id)
        if comment and self.posts[comment.post_id].page_id == token.page_id:
            return comment
        return None

    def _paged(
        self, items: list[Any], params: dict[str, str], render: Any, path: str, version: str
    ) -> Reply:
        try:
            limit = min(int(params.get("limit", "25")), 100)
            start = _uncursor(params["after"]) if params.get("after") else 0
        except ValueError:
            return graph_error(400, 100, "(#100) Invalid cursor or limit", "OAuthException")
        page = items[start : start + limit]
        body: dict[str, Any] = {"data": [render(item) for item in page]}
        if page:
            paging: dict[str, Any] = {
                "cursors": {"before": _cursor(start), "after": _cursor(start + len(page) - 1 + 1)}
            }
            if start + limit < len(items):
                query = {k: v for k, v in params.items() if k != "after"}
                query["after"] = paging["cursors"]["after"]
                paging["next"] = f"{self.base_url}/{version}/{path}?{urlencode(query)}"
            body["paging"] = paging
        return Reply(200, body)

    def _list_posts(
        self, page_id: str, params: dict[str, str], token: PageToken, version: str
    ) -> Reply:
        if page_id != token.page_id:
            return _unsupported(f"{page_id}/posts", "GET")
        since = _parse_time(params["since"]) if params.get("since") else None
        posts = [
            p
            for p in self.posts.values()
            if p.page_id == page_id and (since is None or p.created_time.timestamp() >= since)
        ]
        posts.sort(key=lambda p: p.created_time, reverse=True)
        fields = parse_fields(params.get("fields", "id,message,created_time"))
        return self._paged(
            posts, params, lambda p: self._render_post(p, fields), f"{page_id}/posts", version
        )

    def _render_post(self, post: Post, fields: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in fields:
            if name == "id":
                data["id"] = post.id
            elif name == "message":
                data["message"] = post.message
            elif name == "created_time":
                data["created_time"] = _time(post.created_time)
            elif name == "updated_time":
                data["updated_time"] = _time(post.updated_time)
            elif name == "permalink_url":
                data["permalink_url"] = (
                    f"https://www.facebook.com/{post.page_id}/posts/{post.id.split('_')[1]}"
                )
        data.setdefault("id", post.id)
        return data

    def _list_comments(
        self, object_id: str, params: dict[str, str], token: PageToken, version: str
    ) -> Reply:
        post = self._own_post(object_id, token)
        parent = None if post else self._own_comment(object_id, token)
        if post is None and parent is None:
            return _unsupported(f"{object_id}/comments", "GET")
        if post is not None:
            ids = self.post_comments[post.id]
            if params.get("filter", "toplevel") != "stream":
                ids = [i for i in ids if self.comments[i].parent_id is None]
        else:
            assert parent is not None
            ids = [
                i
                for i in self.post_comments[parent.post_id]
                if self.comments[i].parent_id == parent.id
            ]
        items = [self.comments[i] for i in ids]
        if params.get("since"):
            since = _parse_time(params["since"])
            items = [c for c in items if c.created_time.timestamp() >= since]
        if params.get("until"):
            until = _parse_time(params["until"])
            items = [c for c in items if c.created_time.timestamp() <= until]
        items.sort(
            key=lambda c: (c.created_time, c.id),
            reverse=params.get("order") == "reverse_chronological",
        )
        fields = parse_fields(params.get("fields", ",".join(COMMENT_DEFAULT_FIELDS)))
        return self._paged(
            items,
            params,
            lambda c: self._render_comment(c, fields, token),
            f"{object_id}/comments",
            version,
        )

    def _render_comment(
        self, comment: FbComment, fields: dict[str, Any], token: PageToken
    ) -> dict[str, Any]:
        data: dict[str, Any] = {}
        page = self.pages[self.posts[comment.post_id].page_id]
        for name, sub in fields.items():
            if name == "id":
                data["id"] = comment.id
            elif name == "message":
                data["message"] = comment.message
            elif name == "from":
                data["from"] = {"name": comment.from_name, "id": comment.from_id}
            elif name == "created_time":
                data["created_time"] = _time(comment.created_time)
            elif name == "like_count":
                data["like_count"] = comment.like_count
            elif name == "comment_count":
                data["comment_count"] = comment.comment_count
            elif name == "is_hidden":
                data["is_hidden"] = comment.is_hidden
            elif name == "can_reply_privately":
                data["can_reply_privately"] = (
                    MESSAGING in token.permissions
                    and not comment.privately_replied
                    and comment.from_id != page.id
                )
            elif name == "permalink_url":
                post_number = comment.post_id.split("_")[1]
                data["permalink_url"] = (
                    f"https://www.facebook.com/{page.id}/posts/{post_number}"
                    f"?comment_id={comment.id.split('_')[1]}"
                )
            elif name == "parent" and comment.parent_id:
                parent = self.comments[comment.parent_id]
                data["parent"] = self._render_comment(parent, sub or {"id": {}}, token)
        data.setdefault("id", comment.id)
        return data

    def _get_object(self, object_id: str, params: dict[str, str], token: PageToken) -> Reply:
        comment = self._own_comment(object_id, token)
        if comment is not None:
            fields = parse_fields(params.get("fields", ",".join(COMMENT_DEFAULT_FIELDS)))
            return Reply(200, self._render_comment(comment, fields, token))
        post = self._own_post(object_id, token)
        if post is not None:
            return Reply(
                200,
                self._render_post(
                    post, parse_fields(params.get("fields", "id,message,created_time"))
                ),
            )
        if object_id == token.page_id:
            return Reply(200, {"id": object_id, "name": self.pages[object_id].name})
        return _unsupported(object_id, "GET")

    def _get_objects(self, params: dict[str, str], token: PageToken) -> Reply:
        """GET /?ids=a,b: several objects at once, keyed by id (Graph's multi-ID lookup)."""
        body: dict[str, Any] = {}
        for object_id in (part for part in params["ids"].split(",") if part):
            reply = self._get_object(object_id, params, token)
            if reply.status != 200:
                return reply
            body[object_id] = reply.body
        return Reply(200, body)

    def engage(self, comment_id: str, *, likes: int = 0) -> None:
        """People like a comment: its like count grows."""
        with self.lock:
            self.comments[comment_id].like_count += likes

    # -- writing -----------------------------------------------------------------

    def _reply(self, object_id: str, params: dict[str, str], token: PageToken) -> Reply:
        target = self._own_comment(object_id, token)
        if target is None:
            return _unsupported(f"{object_id}/comments", "POST")
        message = params.get("message", "")
        if not message.strip():
            return graph_error(
                400, 100, "(#100) The parameter message is required", "OAuthException"
            )
        page = self.pages[token.page_id]
        comment = self.add_comment(
            target.post_id, message, author_id=page.id, author_name=page.name, parent_id=target.id
        )
        self.replies.append(
            {"id": comment.id, "in_reply_to": object_id, "page_id": page.id, "message": message}
        )
        return Reply(200, {"id": comment.id})

    def _hide(self, object_id: str, params: dict[str, str], token: PageToken) -> Reply:
        target = self._own_comment(object_id, token)
        if target is None:
            return _unsupported(object_id, "POST")
        if target.from_id == token.page_id:
            return graph_error(
                400, 100, "(#100) A Page cannot hide its own comment", "OAuthException"
            )
        hidden = params["is_hidden"].lower() in ("true", "1")
        target.is_hidden = hidden
        self.hide_log.append((object_id, hidden))
        return Reply(200, {"success": True})

    def _private_reply(self, page_id: str, params: dict[str, str], token: PageToken) -> Reply:
        if page_id != token.page_id:
            return _unsupported(f"{page_id}/messages", "POST")
        try:
            recipient = json.loads(params.get("recipient", "{}"))
            message = json.loads(params.get("message", "{}"))
        except ValueError:
            return graph_error(
                400, 100, "(#100) param recipient must be a JSON object", "OAuthException"
            )
        comment = self._own_comment(str(recipient.get("comment_id", "")), token)
        if comment is None:
            return graph_error(400, 100, "(#100) Invalid parameter", "OAuthException")
        text = message.get("text", "")
        if not text:
            return graph_error(400, 100, "(#100) The message text is required", "OAuthException")
        if comment.privately_replied:
            return graph_error(400, 10900, "Activity already replied to", "OAuthException")
        if comment.from_id == page_id:
            return graph_error(
                400, 10903, "This user cant reply to this activity", "OAuthException"
            )
        if self.clock() - comment.created_time > timedelta(days=7):
            return graph_error(
                400, 10903, "This user cant reply to this activity", "OAuthException"
            )
        comment.privately_replied = True
        message_id = f"m_{secrets.token_urlsafe(12)}"
        self.private_replies.append(
            {"message_id": message_id, "comment_id": comment.id, "page_id": page_id, "text": text}
        )
        return Reply(200, {"recipient_id": f"psid-{comment.from_id}", "message_id": message_id})


def _unsupported(path: str, method: str) -> Reply:
    return graph_error(
        400,
        100,
        f"Unsupported {method.lower()} request. Object with ID '{path.split('/')[0]}' does not "
        "exist, cannot be loaded due to missing permissions, or does not support this operation.",
        "GraphMethodException",
        subcode=33,
    )
