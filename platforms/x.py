"""X (Twitter) through tweepy's v2 `Client`: mentions, replies in the brand's
conversations, replying and hiding replies.

One `fetch` sends at most one request, so the poller can stop between any two calls
and every call is checked against the rate limit first. A polling cycle walks three
steps, each with its own `since_id`:

1. mentions of the brand (`GET /2/users/:id/mentions`, paged with `pagination_token`);
2. the brand's own posts (`GET /2/users/:id/tweets`), whose `conversation_id`s are the
   conversations to follow;
3. replies in those conversations (`GET /2/tweets/search/recent` with
   `conversation_id:` operators, paged with `next_token`), which catches replies that
   do not mention the brand.

While a step is paging, the cursor keeps the newest id of its first page aside and
only promotes it to `since_id` when the last page is stored, so a crash mid-way
re-reads pages instead of skipping them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import tweepy

from ecoute.core.domain import Platform
from ecoute.platforms.base import (
    AuthenticationFailed,
    Engagement,
    FetchResult,
    IncomingComment,
    NotSupported,
    PlatformError,
    RateLimited,
    ReplyTarget,
    TransientError,
)
from ecoute.platforms.http import DEFAULT_TIMEOUT_S, RebasedSession
from ecoute.platforms.ratelimit import KeepsRateLimits, RateLimits
from ecoute.platforms.tokens import TokenSource

X_API = "https://api.twitter.com"
TWEET_FIELDS = [
    "author_id",
    "created_at",
    "conversation_id",
    "in_reply_to_user_id",
    "referenced_tweets",
    "public_metrics",
    "entities",
]
USER_FIELDS = ["username", "name", "public_metrics", "verified"]
# Comments come with their authors (handle, name, followers, verified) in `includes`.
WITH_AUTHORS = {
    "tweet_fields": TWEET_FIELDS,
    "user_fields": USER_FIELDS,
    "expansions": ["author_id"],
}
MAX_QUERY = 512
CONVERSATION_DAYS = 7  # recent search only reaches the last seven days

MENTIONS = "GET /2/users/:id/mentions"
TIMELINE = "GET /2/users/:id/tweets"
SEARCH = "GET /2/tweets/search/recent"
LOOKUP = "GET /2/users/by/username/:username"
TWEETS = "GET /2/tweets"
CREATE = "POST /2/tweets"
HIDE = "PUT /2/tweets/:id/hidden"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class XAdapter(KeepsRateLimits):
    """Listens to and answers on one X account.

    `bearer_token` (app-only) reads; `user_token` (OAuth 2.0 user context of the brand
    account, scopes tweet.read tweet.write users.read tweet.moderate.write) posts and
    hides. Both are read at each call so a renewed token is picked up at once.
    """

    platform = Platform.X

    def __init__(
        self,
        account: str,
        *,
        bearer_token: TokenSource,
        user_token: TokenSource | None = None,
        api_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        clock: Callable[[], datetime] = _utcnow,
        page_size: int = 100,
        max_conversations: int = 40,
    ) -> None:
        self.username = account.strip().lstrip("@")
        self.bearer_token = bearer_token
        self.user_token = user_token
        self.clock = clock
        self.page_size = max(10, min(page_size, 100))
        self.max_conversations = max_conversations
        self.limits = RateLimits()
        self._user_id: str | None = None
        self._reader = self._client(api_url, timeout)
        self._writer = self._client(api_url, timeout)

    @staticmethod
    def _client(api_url: str | None, timeout: float) -> tweepy.Client:
        client = tweepy.Client(return_type=dict, wait_on_rate_limit=False)
        client.session = RebasedSession(X_API, api_url, timeout=timeout)
        return client

    # -- calling ------------------------------------------------------------------------

    def _call(
        self, endpoint: str, writer: bool, method: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Any:
        self.limits.check(endpoint, self.clock())
        client = self._writer if writer else self._reader
        if writer:
            if self.user_token is None:
                raise AuthenticationFailed(
                    f"X account @{self.username}: posting and hiding need an OAuth 2.0 "
                    "user-context token; set user_token_env for this source"
                )
            client.bearer_token = self.user_token()
        else:
            client.bearer_token = self.bearer_token()
        try:
            result = method(*args, **kwargs)
        except tweepy.TooManyRequests as exc:
            self._record(endpoint, exc.response)
            reset = exc.reset_time or int((self.clock() + timedelta(minutes=15)).timestamp())
            until = datetime.fromtimestamp(reset, UTC)
            self.limits.block(endpoint, until)
            raise RateLimited(
                f"X rate limit on {endpoint} for @{self.username}; "
                f"next request at {until.isoformat()}",
                retry_at=until,
            ) from None
        except tweepy.Unauthorized as exc:
            self._record(endpoint, exc.response)
            token = "user-context token (user_token_env)" if writer else "bearer token (token_env)"
            raise AuthenticationFailed(
                f"X rejected the {token} for @{self.username} (401 Unauthorized): it is invalid, "
                "revoked or expired; create a new one in the X developer portal and export it"
            ) from None
        except tweepy.Forbidden as exc:
            self._record(endpoint, exc.response)
            raise _forbidden(exc, self.username, writer) from None
        except tweepy.TwitterServerError as exc:
            raise TransientError(f"X server error on {endpoint}: {exc}") from None
        except (tweepy.BadRequest, tweepy.NotFound) as exc:
            self._record(endpoint, exc.response)
            raise PlatformError(f"X refused {endpoint}: {exc}") from None
        except tweepy.HTTPException as exc:
            raise TransientError(
                f"X answered {endpoint} with an unexpected status: {exc}"
            ) from None
        except requests.Timeout:
            raise TransientError(f"X did not answer {endpoint} in time") from None
        except requests.JSONDecodeError:
            raise TransientError(
                f"X answered {endpoint} with a body that is not valid JSON"
            ) from None
        except requests.RequestException as exc:
            raise TransientError(f"cannot reach X for {endpoint}: {type(exc).__name__}") from None
        self._record(endpoint, client.session.last_response)
        if not isinstance(result, dict):
            raise TransientError(f"X answered {endpoint} with a body that is not a JSON object")
        return result

    def _record(self, endpoint: str, response: requests.Response | None) -> None:
        if response is None:
            return
        headers = response.headers
        try:
            remaining = headers["x-rate-limit-remaining"]
            reset = headers["x-rate-limit-reset"]
        except KeyError:
            return
        limit = headers.get("x-rate-limit-limit")
        try:
            self.limits.record(
                endpoint,
                limit=float(limit) if limit else None,
                remaining=float(remaining),
                reset=float(reset),
            )
        except ValueError:
            return

    def _brand_id(self) -> str:
        if self._user_id is None:
            body = self._call(
                LOOKUP, False, self._reader.get_user, username=self.username, user_fields=["id"]
            )
            data = body.get("data")
            if not isinstance(data, dict) or "id" not in data:
                raise PlatformError(
                    f"X has no account named @{self.username}; check the source's `account` "
                    "(the handle without @)"
                )
            self._user_id = str(data["id"])
        return self._user_id

    # -- reading ------------------------------------------------------------------------

    def fetch(self, cursor: dict[str, Any]) -> FetchResult:
        state = _copy(cursor)
        if "user_id" not in state:
            state["user_id"] = self._brand_id()
            state["step"] = "mentions"
            return self._result([], state, has_more=True)
        self._user_id = state["user_id"]
        step = state.get("step", "mentions")
        if step == "timeline":
            return self._fetch_timeline(state)
        if step == "search":
            return self._fetch_search(state)
        return self._fetch_mentions(state)

    def _result(
        self, comments: list[IncomingComment], state: dict[str, Any], *, has_more: bool
    ) -> FetchResult:
        return FetchResult(comments, state, has_more, self.limits.snapshot())

    def _fetch_mentions(self, state: dict[str, Any]) -> FetchResult:
        part = state.setdefault("mentions", {})
        params = _page_params(part, self.page_size, "pagination_token", **WITH_AUTHORS)
        body = self._call(
            MENTIONS, False, self._reader.get_users_mentions, state["user_id"], **params
        )
        comments = self._comments(body)
        _advance(part, body)
        if part.get("next_token"):
            return self._result(comments, state, has_more=True)
        state["step"] = "timeline"
        return self._result(comments, state, has_more=True)

    def _fetch_timeline(self, state: dict[str, Any]) -> FetchResult:
        part = state.setdefault("timeline", {})
        params = _page_params(
            part, self.page_size, "pagination_token", tweet_fields=["conversation_id", "created_at"]
        )
        body = self._call(
            TIMELINE, False, self._reader.get_users_tweets, state["user_id"], **params
        )
        conversations: dict[str, float] = state.setdefault("conversations", {})
        new_ids: list[int] = []
        for tweet in _list(body.get("data"), "data"):
            conversation = str(tweet.get("conversation_id") or tweet.get("id"))
            created = _parse_time(tweet.get("created_at"), "created_at").timestamp()
            if conversation not in conversations:
                new_ids.append(int(conversation))
            conversations[conversation] = max(conversations.get(conversation, 0.0), created)
        _advance(part, body)
        self._prune(conversations)
        search = state.setdefault("search", {})
        kept = [i for i in new_ids if str(i) in conversations]
        if kept and search.get("since_id"):
            search["since_id"] = str(min(int(search["since_id"]), min(kept) - 1))
        if part.get("next_token"):
            return self._result([], state, has_more=True)
        if conversations:
            state["step"] = "search"
            search["batch"] = 0
            return self._result([], state, has_more=True)
        state["step"] = "mentions"
        return self._result([], state, has_more=False)

    def _prune(self, conversations: dict[str, float]) -> None:
        horizon = (self.clock() - timedelta(days=CONVERSATION_DAYS)).timestamp()
        recent = sorted(
            ((when, cid) for cid, when in conversations.items() if when >= horizon), reverse=True
        )[: self.max_conversations]
        keep = {cid for _, cid in recent}
        for cid in list(conversations):
            if cid not in keep:
                del conversations[cid]

    def _batches(self, conversations: dict[str, float]) -> list[str]:
        suffix = f" -from:{self.username} -@{self.username}"
        batches: list[str] = []
        current: list[str] = []
        for cid in sorted(conversations):
            term = f"conversation_id:{cid}"
            candidate = [*current, term]
            if current and len(f"({' OR '.join(candidate)}){suffix}") > MAX_QUERY:
                batches.append(f"({' OR '.join(current)}){suffix}")
                candidate = [term]
            current = candidate
        if current:
            batches.append(f"({' OR '.join(current)}){suffix}")
        return batches

    def _fetch_search(self, state: dict[str, Any]) -> FetchResult:
        part = state.setdefault("search", {})
        batches = self._batches(state.get("conversations", {}))
        index = int(part.get("batch", 0))
        if index >= len(batches):
            return self._finish_search(state, part, [])
        params = _page_params(part, self.page_size, "next_token", **WITH_AUTHORS)
        body = self._call(
            SEARCH, False, self._reader.search_recent_tweets, batches[index], **params
        )
        comments = self._comments(body)
        meta = body.get("meta") or {}
        newest = meta.get("newest_id")
        if newest and (not part.get("pending") or int(newest) > int(part["pending"])):
            part["pending"] = str(newest)
        if meta.get("next_token"):
            part["next_token"] = meta["next_token"]
            return self._result(comments, state, has_more=True)
        part.pop("next_token", None)
        part["batch"] = index + 1
        if index + 1 < len(batches):
            return self._result(comments, state, has_more=True)
        return self._finish_search(state, part, comments)

    def _finish_search(
        self, state: dict[str, Any], part: dict[str, Any], comments: list[IncomingComment]
    ) -> FetchResult:
        pending = part.pop("pending", None)
        if pending and (not part.get("since_id") or int(pending) > int(part["since_id"])):
            part["since_id"] = pending
        part["batch"] = 0
        state["step"] = "mentions"
        return self._result(comments, state, has_more=False)

    def _comments(self, body: dict[str, Any]) -> list[IncomingComment]:
        users = {
            str(u.get("id")): u
            for u in _list((body.get("includes") or {}).get("users"), "includes.users")
        }
        comments = []
        for tweet in _list(body.get("data"), "data"):
            comment = _parse_tweet(tweet, users)
            if comment.author_id != self._user_id:
                comments.append(comment)
        return comments

    # -- answering ----------------------------------------------------------------------

    def publish_reply(self, target: ReplyTarget, text: str) -> str:
        try:
            body = self._call(
                CREATE,
                True,
                self._writer.create_tweet,
                text=text,
                in_reply_to_tweet_id=target.external_id,
                user_auth=False,
            )
        except _Duplicate:
            existing = self.find_reply(target, text)
            if existing:
                return existing
            raise PlatformError(
                "X refused the reply as duplicate content but it is not on the thread; edit the "
                "draft's text and approve it again"
            ) from None
        data = body.get("data") or {}
        if "id" not in data:
            raise TransientError("X accepted the post but returned no id")
        return str(data["id"])

    def find_reply(self, target: ReplyTarget, text: str) -> str | None:
        """Look through the brand's posts newer than the target for a reply to it with
        this text. The brand's own timeline is used rather than search, which lags."""
        brand = self._brand_id()
        token: str | None = None
        for _ in range(10):
            params: dict[str, Any] = {
                "since_id": target.external_id,
                "max_results": 100,
                "tweet_fields": ["referenced_tweets"],
            }
            if token:
                params["pagination_token"] = token
            body = self._call(TIMELINE, False, self._reader.get_users_tweets, brand, **params)
            for tweet in _list(body.get("data"), "data"):
                replied = _replied_to(tweet)
                if replied == target.external_id and _same_text(tweet.get("text", ""), text):
                    return str(tweet["id"])
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return None
        return None

    def engagement(self, external_ids: list[str]) -> dict[str, Engagement]:
        """Public metrics of tweets already stored, 100 ids per request (the API's cap)."""
        found: dict[str, Engagement] = {}
        for start in range(0, len(external_ids), 100):
            batch = external_ids[start : start + 100]
            body = self._call(
                TWEETS, False, self._reader.get_tweets, batch, tweet_fields=["public_metrics"]
            )
            for tweet in _list(body.get("data"), "data"):
                metrics = tweet.get("public_metrics") or {}
                found[str(tweet["id"])] = Engagement(
                    likes=int(metrics.get("like_count") or 0),
                    replies=int(metrics.get("reply_count") or 0),
                    shares=int(metrics.get("retweet_count") or 0)
                    + int(metrics.get("quote_count") or 0),
                )
        return found

    def hide(self, target: ReplyTarget) -> None:
        self._call(HIDE, True, self._writer.hide_reply, target.external_id, user_auth=False)

    def unhide(self, target: ReplyTarget) -> None:
        self._call(HIDE, True, self._writer.unhide_reply, target.external_id, user_auth=False)

    def private_reply(self, target: ReplyTarget, text: str) -> str:
        raise NotSupported(
            "X has no private reply to a post; answer publicly and give the direct-message "
            "channel in the reply"
        )


class _Duplicate(PlatformError):
    """X refused a post as duplicate content: it may already be there."""


def _forbidden(exc: tweepy.Forbidden, username: str, writer: bool) -> PlatformError:
    try:
        body = exc.response.json()
    except ValueError:
        body = {}
    detail = str(body.get("detail") or exc)
    kind = str(body.get("type") or "")
    if "duplicate content" in detail:
        return _Duplicate(detail)
    if "not-authorized-for-resource" in kind:
        return PlatformError(f"X refused the action for @{username}: {detail}")
    token = "user-context token (user_token_env)" if writer else "bearer token (token_env)"
    return AuthenticationFailed(
        f"X refused the {token} for @{username} (403 {body.get('title', 'Forbidden')}): {detail} "
        "Check the app's access level and the token's scopes (tweet.read, tweet.write, "
        "users.read, tweet.moderate.write)"
    )


def _page_params(
    part: dict[str, Any], page_size: int, token_param: str, **fields: Any
) -> dict[str, Any]:
    """One page's query: its size, the fields asked for, and where the saved cursor says
    to resume (`token_param` is the name each endpoint gives its pagination token)."""
    params: dict[str, Any] = {"max_results": page_size, **fields}
    if part.get("since_id"):
        params["since_id"] = part["since_id"]
    if part.get("next_token"):
        params[token_param] = part["next_token"]
    return params


def _copy(cursor: dict[str, Any]) -> dict[str, Any]:
    import copy

    return copy.deepcopy(dict(cursor or {}))


def _advance(part: dict[str, Any], body: dict[str, Any]) -> None:
    """Paging rule for since_id timelines: promote the first page's newest id only when
    the last page has been read."""
    meta = body.get("meta") or {}
    newest = meta.get("newest_id")
    if newest and not part.get("pending"):
        part["pending"] = str(newest)
    if meta.get("next_token"):
        part["next_token"] = meta["next_token"]
        return
    part.pop("next_token", None)
    pending = part.pop("pending", None)
    if pending:
        part["since_id"] = pending


def _list(value: Any, name: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise TransientError(f"X returned '{name}' that is not a list of objects")
    return value


def _parse_time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise TransientError(f"X returned a post without '{name}'")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise TransientError(f"X returned '{name}' that is not a date: {value!r}") from None


def _replied_to(tweet: dict[str, Any]) -> str | None:
    for ref in tweet.get("referenced_tweets") or []:
        if isinstance(ref, dict) and ref.get("type") == "replied_to":
            return str(ref.get("id"))
    return None


def _same_text(published: str, wanted: str) -> bool:
    return " ".join(published.split()) == " ".join(wanted.split())


def _parse_tweet(tweet: dict[str, Any], users: dict[str, dict[str, Any]]) -> IncomingComment:
    for name in ("id", "text", "author_id"):
        if name not in tweet:
            raise TransientError(f"X returned a post without '{name}'")
    author = users.get(str(tweet["author_id"]), {})
    username = str(author.get("username") or tweet["author_id"])
    metrics = tweet.get("public_metrics") or {}
    followers = (author.get("public_metrics") or {}).get("followers_count", 0)
    return IncomingComment(
        external_id=str(tweet["id"]),
        author_id=str(tweet["author_id"]),
        author_handle=username,
        author_name=author.get("name"),
        author_followers=int(followers or 0),
        author_verified=bool(author.get("verified", False)),
        text=str(tweet["text"]),
        created_at=_parse_time(tweet.get("created_at"), "created_at"),
        thread_id=str(tweet.get("conversation_id") or tweet["id"]),
        parent_external_id=_replied_to(tweet),
        permalink=f"https://x.com/{username}/status/{tweet['id']}",
        like_count=int(metrics.get("like_count", 0) or 0),
        reply_count=int(metrics.get("reply_count", 0) or 0),
        share_count=int(metrics.get("retweet_count", 0) or 0)
        + int(metrics.get("quote_count", 0) or 0),
        raw={"platform": "x", "tweet": tweet, "author": author},
    )
