"""facebook-sdk's `GraphAPI`, pinned to a current Graph API version.

facebook-sdk 3.1.0 only accepts versions up to 3.1, all retired by Meta. This module is
the one place that knows which version Écoute calls: it builds the SDK client, sets the
configured version (`graph_version` on the source, `DEFAULT_GRAPH_VERSION` otherwise)
and routes its requests through a session that can point at another base URL and
exposes the response headers that carry the usage figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import facebook
import requests

from ecoute.platforms.http import DEFAULT_TIMEOUT_S, RebasedSession
from ecoute.platforms.tokens import TokenSource

DEFAULT_GRAPH_VERSION = "v25.0"
GRAPH_API = "https://graph.facebook.com"
VERSION_PATTERN = re.compile(r"^v\d{1,2}\.\d$")


@dataclass(frozen=True, slots=True)
class GraphAnswer:
    """A Graph API result with the headers the SDK drops."""

    body: dict[str, Any]
    headers: dict[str, str]


class GraphCallError(Exception):
    """The SDK raised: `error` is Graph's error object (empty when the body was not one)."""

    def __init__(
        self, error: dict[str, Any], status: int | None, headers: dict[str, str], message: str
    ) -> None:
        super().__init__(message)
        self.error = error
        self.status = status
        self.headers = headers

    @property
    def code(self) -> int | None:
        value = self.error.get("code")
        return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


class GraphClient:
    """A thin Graph API client: `get`, `post`, each returning body and headers."""

    def __init__(
        self,
        token: TokenSource,
        *,
        version: str | None = None,
        api_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.version = version or DEFAULT_GRAPH_VERSION
        if not VERSION_PATTERN.match(self.version):
            raise ValueError(
                f"graph_version {self.version!r} is not a Graph API version such as "
                f"{DEFAULT_GRAPH_VERSION!r}"
            )
        self.token = token
        self.session = RebasedSession(GRAPH_API, api_url, timeout=timeout)
        self._api = facebook.GraphAPI(session=self.session)
        # The SDK validates versions against its 2018 list; the pinned one is set here.
        self._api.version = self.version

    def get(self, path: str, **args: Any) -> GraphAnswer:
        return self._request(path, args=args)

    def post(self, path: str, **data: Any) -> GraphAnswer:
        return self._request(path, post_args=data)

    def _request(
        self,
        path: str,
        *,
        args: dict[str, Any] | None = None,
        post_args: dict[str, Any] | None = None,
    ) -> GraphAnswer:
        self._api.access_token = self.token()
        try:
            body = self._api.request(
                f"{self.version}/{path.lstrip('/')}", args=args, post_args=post_args
            )
        except facebook.GraphAPIError as exc:
            response = self.session.last_response
            result = exc.result if isinstance(exc.result, dict) else {}
            error = result.get("error") if isinstance(result.get("error"), dict) else {}
            raise GraphCallError(
                error,
                response.status_code if response is not None else None,
                dict(response.headers) if response is not None else {},
                str(exc.message if hasattr(exc, "message") else exc),
            ) from None
        except (requests.JSONDecodeError, KeyError) as exc:
            response = self.session.last_response
            raise GraphCallError(
                {},
                response.status_code if response is not None else None,
                dict(response.headers) if response is not None else {},
                f"the answer is not valid JSON ({type(exc).__name__})",
            ) from None
        response = self.session.last_response
        headers = dict(response.headers) if response is not None else {}
        if not isinstance(body, dict):
            raise GraphCallError({}, None, headers, "the answer is not a JSON object")
        return GraphAnswer(body, {k.lower(): v for k, v in headers.items()})
