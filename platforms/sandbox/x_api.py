"""The subset of the X API v2 that Écoute uses, with its JSON shapes and behaviour.

Endpoints: user lookup by username, a user's mentions and posts timelines, recent
search (with `conversation_id:`, `from:`, `to:`, `is:reply`, `OR`, parentheses and
negation), posting a reply and hiding or unhiding a reply. Responses carry the
`x-rate-limit-*` headers; a spent window answers 429 until its reset, and a request
sent before the reset is counted as early. Errors use the v2 problem bodies.
"""

from __future__ import annotations

import math
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ecoute.platforms.sandbox.core import Clock, Reply, Request, Stats

FIRST_TWEET_ID = 1_790_000_000_000_000_000
MENTION = re.compile(r"@(\w{1,15})")
WINDOW_S = 900

# Requests per 15-minute window, per token and endpoint (a Basic-tier-like profile).
DEFAULT_LIMITS = {
    "GET /2/users/by/username/:username": 100,
    "GET /2/users/:id/mentions": 180,
    "GET /2/users/:id/tweets": 900,
    "GET /2/tweets/search/recent": 450,
    "POST /2/tweets": 300,
    "GET /2/tweets": 450,
    "PUT /2/tweets/:id/hidden": 50,
}


@dataclass(slots=True)
class XUser:
    id: str
    username: str
    name: str
    followers: int = 0
    verified: bool = False


@dataclass(slots=True)
class Tweet:
    id: int
    text: str
    author_id: str
    created_at: datetime
    conversation_id: int
    replied_to: int | None = None
    in_reply_to_user_id: str | None = None
    mentions: list[str] = field(default_factory=list)
    like_count: int = 0
    reply_count: int = 0
    retweet_count: int = 0
    quote_count: int = 0
    hidden: bool = False


def problem(status: int, title: str, detail: str, kind: str = "about:blank", **extra: Any) -> Reply:
    return Reply(
        status, {"title": title, "detail": detail, "type": kind, "status": status, **extra}
    )


def invalid_request(parameter: str, message: str) -> Reply:
    return Reply(
        400,
        {
            "errors": [{"parameters": {parameter: []}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{instant.microsecond // 1000:03d}Z"
    )


class _Window:
    __slots__ = ("blocked_until", "count", "reset")

    def __init__(self, reset: float) -> None:
        self.count = 0
        self.reset = reset
        self.blocked_until = 0.0


class XApi:
    """State and request handling for the emulated X API."""

    def __init__(self, clock: Clock, stats: Stats, limits: dict[str, int] | None = None) -> None:
        self.clock = clock
        self.stats = stats
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.window_s = WINDOW_S
        self.lock = threading.RLock()
        self.users: dict[str, XUser] = {}
        self.by_username: dict[str, XUser] = {}
        self.tweets: dict[int, Tweet] = {}
        self.order: deque[int] = deque()
        self.app_tokens: set[str] = set()
        self.user_tokens: dict[str, str] = {}
        self.expired: set[str] = set()
        self.published: list[dict[str, Any]] = []
        self.hide_log: list[tuple[str, bool]] = []
        self._next_id = FIRST_TWEET_ID
        self._windows: dict[tuple[str, str], _Window] = {}

    # -- scripting ---------------------------------------------------------------

    def add_user(
        self, username: str, *, name: str | None = None, followers: int = 0, verified: bool = False
    ) -> XUser:
        with self.lock:
            existing = self.by_username.get(username.lower())
            if existing:
                return existing
            user = XUser(
                str(10_000 + len(self.users)), username, name or username, followers, verified
            )
            self.users[user.id] = user
            self.by_username[username.lower()] = user
            return user

    def post(
        self,
        author: str,
        text: str,
        *,
        reply_to: int | str | None = None,
        at: datetime | None = None,
        likes: int = 0,
        retweets: int = 0,
    ) -> Tweet:
        """Publish a tweet as `author` (a username), optionally as a reply."""
        with self.lock:
            user = self.by_username.get(author.lower()) or self.add_user(author)
            self._next_id += 1_000 + (self._next_id % 7)
            tweet_id = self._next_id
            parent = self.tweets.get(int(reply_to)) if reply_to is not None else None
            if reply_to is not None and parent is None:
                raise KeyError(f"no tweet {reply_to} to reply to")
            tweet = Tweet(
                id=tweet_id,
                text=text,
                author_id=user.id,
                created_at=at or self.clock(),
                conversation_id=parent.conversation_id if parent else tweet_id,
                replied_to=parent.id if parent else None,
                in_reply_to_user_id=parent.author_id if parent else None,
                mentions=[m.lower() for m in MENTION.findall(text)],
                like_count=likes,
                retweet_count=retweets,
            )
            if parent:
                parent.reply_count += 1
            self.tweets[tweet_id] = tweet
            self.order.append(tweet_id)
            return tweet

    def block(self, endpoint: str, token: str, seconds: float) -> None:
        """Make `endpoint` answer 429 for `token` during `seconds` (a 429 burst)."""
        with self.lock:
            window = self._window(endpoint, token, self.clock().timestamp())
            window.blocked_until = float(math.ceil(self.clock().timestamp() + seconds))

    # -- HTTP --------------------------------------------------------------------

    def route(self, request: Request) -> tuple[str, dict[str, str]] | None:
        parts = request.path.strip("/").split("/")
        m = request.method
        if m == "GET" and parts[:4] == ["2", "users", "by", "username"] and len(parts) == 5:
            return "GET /2/users/by/username/:username", {"username": parts[4]}
        if (
            m == "GET"
            and parts[:2] == ["2", "users"]
            and len(parts) == 4
            and parts[3]
            in (
                "mentions",
                "tweets",
            )
        ):
            return f"GET /2/users/:id/{parts[3]}", {"id": parts[2]}
        if m == "GET" and parts == ["2", "tweets", "search", "recent"]:
            return "GET /2/tweets/search/recent", {}
        if m == "POST" and parts == ["2", "tweets"]:
            return "POST /2/tweets", {}
        if m == "GET" and parts == ["2", "tweets"]:
            return "GET /2/tweets", {}
        if m == "PUT" and parts[:2] == ["2", "tweets"] and len(parts) == 4 and parts[3] == "hidden":
            return "PUT /2/tweets/:id/hidden", {"id": parts[2]}
        return None

    def blocked(self, request: Request) -> bool:
        """Whether this request arrives while its rate-limit window is spent."""
        routed = self.route(request)
        if routed is None:
            return False
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        with self.lock:
            now = self.clock().timestamp()
            window = self._windows.get((routed[0], token))
            if window is None or (now >= window.reset and now >= window.blocked_until):
                return False
            return now < window.blocked_until or window.count >= self.limits.get(routed[0], 300)

    def handle(self, request: Request, burst_s: float | None = None) -> Reply:
        """Answer one request; `burst_s` starts a 429 burst of that many seconds."""
        routed = self.route(request)
        if routed is None:
            return problem(
                404, "Not Found Error", f"Sorry, that page does not exist: {request.path}"
            )
        endpoint, params = routed
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        with self.lock:
            if token in self.expired or (
                token not in self.app_tokens and token not in self.user_tokens
            ):
                self.stats.add("x.unauthorized")
                return problem(401, "Unauthorized", "Unauthorized")
            now = self.clock().timestamp()
            window = self._window(endpoint, token, now)
            limit = self.limits.get(endpoint, 300)
            if now < window.blocked_until or window.count >= limit:
                if now < window.blocked_until or now < window.reset:
                    self.stats.add("x.early_requests")
                reset = max(window.reset, window.blocked_until)
                reply = problem(429, "Too Many Requests", "Too Many Requests")
                reply.headers.update(self._headers(limit, 0, reset))
                return reply
            if burst_s is not None:
                window.blocked_until = float(math.ceil(now + burst_s))
                reply = problem(429, "Too Many Requests", "Too Many Requests")
                reply.headers.update(self._headers(limit, 0, window.blocked_until))
                return reply
            window.count += 1
            reply = self._dispatch(endpoint, params, request, token)
            reply.headers.update(self._headers(limit, limit - window.count, window.reset))
            return reply

    def _window(self, endpoint: str, token: str, now: float) -> _Window:
        key = (endpoint, token)
        window = self._windows.get(key)
        if window is None or (now >= window.reset and now >= window.blocked_until):
            window = _Window(float(math.ceil(now + self.window_s)))
            self._windows[key] = window
        return window

    @staticmethod
    def _headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": str(max(remaining, 0)),
            "x-rate-limit-reset": str(math.ceil(reset)),
        }

    def _dispatch(
        self, endpoint: str, params: dict[str, str], request: Request, token: str
    ) -> Reply:
        if endpoint == "GET /2/users/by/username/:username":
            user = self.by_username.get(params["username"].lower())
            if user is None:
                return Reply(
                    200,
                    {
                        "errors": [
                            {
                                "value": params["username"],
                                "detail": "Could not find user with username: "
                                f"[{params['username']}].",
                                "title": "Not Found Error",
                                "resource_type": "user",
                                "parameter": "username",
                                "resource_id": params["username"],
                                "type": "https://api.twitter.com/2/problems/resource-not-found",
                            }
                        ]
                    },
                )
            return Reply(200, {"data": self._user(user, _fields(request, "user.fields"))})
        if endpoint == "GET /2/tweets":
            return self._lookup(request)
        if endpoint == "GET /2/users/:id/mentions":
            user = self.users.get(params["id"])
            if user is None:
                return invalid_request(
                    "id", f"The `id` query parameter value [{params['id']}] is not valid"
                )
            return self._timeline(
                request,
                lambda t: user.username.lower() in t.mentions and t.author_id != user.id,
                min_results=5,
                token_name="pagination_token",
            )
        if endpoint == "GET /2/users/:id/tweets":
            user_id = params["id"]
            return self._timeline(
                request,
                lambda t: t.author_id == user_id,
                min_results=5,
                token_name="pagination_token",
            )
        if endpoint == "GET /2/tweets/search/recent":
            query = request.query.get("query", "")
            if not query or len(query) > 512:
                return invalid_request("query", "The `query` parameter must be 1 to 512 characters")
            try:
                matcher = _parse_query(query, self)
            except ValueError as exc:
                return invalid_request("query", f"There were errors processing your request: {exc}")
            horizon = self.clock() - timedelta(days=7)
            return self._timeline(
                request,
                lambda t: t.created_at >= horizon and matcher(t),
                min_results=10,
                token_name="next_token",
            )
        if endpoint == "POST /2/tweets":
            return self._create(request, token)
        if endpoint == "PUT /2/tweets/:id/hidden":
            return self._hide(params["id"], request, token)
        raise AssertionError(endpoint)

    # -- reading -----------------------------------------------------------------

    def _timeline(self, request: Request, keep: Any, *, min_results: int, token_name: str) -> Reply:
        q = request.query
        try:
            max_results = int(q.get("max_results", "10"))
        except ValueError:
            return invalid_request("max_results", "max_results must be a number")
        if not min_results <= max_results <= 100:
            return invalid_request(
                "max_results",
                f"The `max_results` query parameter value [{max_results}] is not between "
                f"{min_results} and 100",
            )
        since = int(q["since_id"]) if q.get("since_id") else 0
        until = int(q["until_id"]) if q.get("until_id") else None
        page_token = q.get(token_name)
        if page_token:
            if not page_token.startswith("pt") or not page_token[2:].isalnum():
                return invalid_request(token_name, f"The `{token_name}` value is not valid")
            until = int(page_token[2:], 36)
        matched: list[Tweet] = []
        for tweet_id in reversed(self.order):
            if tweet_id <= since:
                break
            if until is not None and tweet_id >= until:
                continue
            tweet = self.tweets[tweet_id]
            if keep(tweet):
                matched.append(tweet)
                if len(matched) > max_results:
                    break
        page, more = matched[:max_results], len(matched) > max_results
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta["newest_id"] = str(page[0].id)
            meta["oldest_id"] = str(page[-1].id)
        if more:
            meta["next_token"] = "pt" + _base36(page[-1].id)
        body: dict[str, Any] = {"meta": meta}
        if page:
            fields = _fields(request, "tweet.fields")
            body["data"] = [self._tweet(t, fields) for t in page]
            includes = self._includes(page, request)
            if includes:
                body["includes"] = includes
        return Reply(200, body)

    def _lookup(self, request: Request) -> Reply:
        """GET /2/tweets?ids=…: the tweets found in `data`, the others in `errors`."""
        raw = request.query.get("ids", "")
        ids = [part for part in raw.split(",") if part]
        if not ids or len(ids) > 100:
            return invalid_request("ids", "The `ids` query parameter needs 1 to 100 tweet ids")
        fields = _fields(request, "tweet.fields")
        found, errors = [], []
        for ident in ids:
            tweet = self.tweets.get(int(ident)) if ident.isdigit() else None
            if tweet is None:
                errors.append(
                    {
                        "value": ident,
                        "detail": f"Could not find tweet with ids: [{ident}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "ids",
                        "resource_id": ident,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                )
            else:
                found.append(self._tweet(tweet, fields))
        body: dict[str, Any] = {"data": found} if found else {}
        if errors:
            body["errors"] = errors
        return Reply(200, body)

    def engage(
        self, tweet_id: int | str, *, likes: int = 0, replies: int = 0, retweets: int = 0
    ) -> None:
        """People react to a tweet: its public metrics grow."""
        with self.lock:
            tweet = self.tweets[int(tweet_id)]
            tweet.like_count += likes
            tweet.reply_count += replies
            tweet.retweet_count += retweets

    def _tweet(self, tweet: Tweet, fields: set[str]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(tweet.id),
            "text": tweet.text,
            "edit_history_tweet_ids": [str(tweet.id)],
        }
        if "author_id" in fields:
            data["author_id"] = tweet.author_id
        if "created_at" in fields:
            data["created_at"] = _iso(tweet.created_at)
        if "conversation_id" in fields:
            data["conversation_id"] = str(tweet.conversation_id)
        if "in_reply_to_user_id" in fields and tweet.in_reply_to_user_id:
            data["in_reply_to_user_id"] = tweet.in_reply_to_user_id
        if "referenced_tweets" in fields and tweet.replied_to:
            data["referenced_tweets"] = [{"type": "replied_to", "id": str(tweet.replied_to)}]
        if "public_metrics" in fields:
            data["public_metrics"] = {
                "retweet_count": tweet.retweet_count,
                "reply_count": tweet.reply_count,
                "like_count": tweet.like_count,
                "quote_count": tweet.quote_count,
                "bookmark_count": 0,
                "impression_count": 0,
            }
        if "entities" in fields and tweet.mentions:
            data["entities"] = {"mentions": _mention_entities(tweet, self)}
        if "lang" in fields:
            data["lang"] = "und"
        return data

    def _user(self, user: XUser, fields: set[str]) -> dict[str, Any]:
        data: dict[str, Any] = {"id": user.id, "name": user.name, "username": user.username}
        if "public_metrics" in fields:
            data["public_metrics"] = {
                "followers_count": user.followers,
                "following_count": 0,
                "tweet_count": 0,
                "listed_count": 0,
                "like_count": 0,
            }
        if "verified" in fields:
            data["verified"] = user.verified
        return data

    def _includes(self, page: list[Tweet], request: Request) -> dict[str, Any]:
        expansions = _fields(request, "expansions")
        user_ids: list[str] = []
        if "author_id" in expansions:
            user_ids += [t.author_id for t in page]
        if "in_reply_to_user_id" in expansions:
            user_ids += [t.in_reply_to_user_id for t in page if t.in_reply_to_user_id]
        includes: dict[str, Any] = {}
        if user_ids:
            fields = _fields(request, "user.fields")
            unique = list(dict.fromkeys(user_ids))
            includes["users"] = [self._user(self.users[uid], fields) for uid in unique]
        if "referenced_tweets.id" in expansions:
            ids = list(dict.fromkeys(t.replied_to for t in page if t.replied_to))
            if ids:
                fields = _fields(request, "tweet.fields")
                includes["tweets"] = [self._tweet(self.tweets[i], fields) for i in ids]
        return includes

    # -- writing -----------------------------------------------------------------

    def _user_for(self, token: str) -> XUser | None:
        user_id = self.user_tokens.get(token)
        return self.users.get(user_id) if user_id else None

    def _create(self, request: Request, token: str) -> Reply:
        user = self._user_for(token)
        if user is None:
            return _unsupported_auth()
        try:
            body = request.json()
        except ValueError:
            return invalid_request("body", "The request body is not valid JSON")
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return invalid_request("text", "The `text` field is required")
        if len(text) > 280:
            return invalid_request("text", "The text of your post is too long.")
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if reply_to is not None and int(reply_to) not in self.tweets:
            return invalid_request(
                "reply.in_reply_to_tweet_id", "The post you are replying to does not exist."
            )
        for record in self.published:
            if (
                record["author_id"] == user.id
                and record["text"] == text
                and record["in_reply_to"] == str(reply_to)
            ):
                return problem(
                    403,
                    "Forbidden",
                    "You are not allowed to create a Tweet with duplicate content.",
                )
        tweet = self.post(user.username, text, reply_to=reply_to)
        self.published.append(
            {"id": str(tweet.id), "author_id": user.id, "text": text, "in_reply_to": str(reply_to)}
        )
        return Reply(
            201,
            {
                "data": {
                    "id": str(tweet.id),
                    "text": text,
                    "edit_history_tweet_ids": [str(tweet.id)],
                }
            },
        )

    def _hide(self, tweet_id: str, request: Request, token: str) -> Reply:
        user = self._user_for(token)
        if user is None:
            return _unsupported_auth()
        tweet = self.tweets.get(int(tweet_id)) if tweet_id.isdigit() else None
        if tweet is None:
            return invalid_request(
                "id", f"The `id` query parameter value [{tweet_id}] is not valid"
            )
        root = self.tweets.get(tweet.conversation_id)
        if root is None or root.author_id != user.id or tweet.id == root.id:
            return problem(
                403,
                "Forbidden",
                "You can only hide or unhide replies to conversations you authored.",
                "https://api.twitter.com/2/problems/not-authorized-for-resource",
            )
        hidden = bool(request.json().get("hidden"))
        tweet.hidden = hidden
        self.hide_log.append((tweet_id, hidden))
        return Reply(200, {"data": {"hidden": hidden}})


def _unsupported_auth() -> Reply:
    return problem(
        403,
        "Unsupported Authentication",
        "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
        "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
        "https://api.twitter.com/2/problems/unsupported-authentication",
    )


def _fields(request: Request, name: str) -> set[str]:
    return {part for part in request.query.get(name, "").split(",") if part}


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


def _mention_entities(tweet: Tweet, api: XApi) -> list[dict[str, Any]]:
    out = []
    for match in MENTION.finditer(tweet.text):
        entity: dict[str, Any] = {
            "start": match.start(),
            "end": match.end(),
            "username": match.group(1),
        }
        user = api.by_username.get(match.group(1).lower())
        if user:
            entity["id"] = user.id
        out.append(entity)
    return out


# -- recent search query language (the operators Écoute uses) ----------------------

_TOKEN = re.compile(r'\(|\)|-?"[^"]*"|-?[^\s()]+')


def _parse_query(query: str, api: XApi) -> Any:
    tokens = _TOKEN.findall(query)
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def parse_or() -> Any:
        nonlocal position
        branches = [parse_and()]
        while peek() == "OR":
            position += 1
            branches.append(parse_and())
        return lambda t: any(branch(t) for branch in branches)

    def parse_and() -> Any:
        nonlocal position
        items = []
        while peek() not in (None, ")", "OR"):
            token = tokens[position]
            position += 1
            if token == "(":
                inner = parse_or()
                if peek() != ")":
                    raise ValueError("unbalanced parentheses")
                position += 1
                items.append(inner)
            elif token == "-(":
                raise ValueError("negated groups are not supported")
            else:
                items.append(_term(token, api))
        if not items:
            raise ValueError("empty clause")
        return lambda t: all(item(t) for item in items)

    matcher = parse_or()
    if position != len(tokens):
        raise ValueError("unexpected ')'")
    return matcher


def _term(token: str, api: XApi) -> Any:
    negate = token.startswith("-")
    body = token[1:] if negate else token
    if body.startswith("conversation_id:"):
        value = int(body.split(":", 1)[1])

        def test(t: Tweet) -> bool:
            return t.conversation_id == value
    elif body.startswith("from:") or body.startswith("to:"):
        op, name = body.split(":", 1)
        user = api.by_username.get(name.lower()) or api.users.get(name)
        user_id = user.id if user else None
        if op == "from":

            def test(t: Tweet) -> bool:
                return t.author_id == user_id
        else:

            def test(t: Tweet) -> bool:
                return t.in_reply_to_user_id == user_id
    elif body == "is:reply":

        def test(t: Tweet) -> bool:
            return t.replied_to is not None
    elif body.startswith("@"):
        name = body[1:].lower()

        def test(t: Tweet) -> bool:
            return name in t.mentions
    else:
        word = body.strip('"').lower()

        def test(t: Tweet) -> bool:
            return word in t.text.lower()

    return (lambda t: not test(t)) if negate else test
