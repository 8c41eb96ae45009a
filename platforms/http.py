"""The HTTP session both client libraries send their requests through.

tweepy and facebook-sdk hard-code the production hosts and, for tweepy, send requests
without a timeout. Handing each library this session is the one seam that points them
at another base URL (the sandbox, a proxy) and bounds every call, without patching the
libraries. It also keeps the last response, whose headers carry the rate-limit state
that the libraries do not return.
"""

from __future__ import annotations

import threading
from typing import Any

import requests

DEFAULT_TIMEOUT_S = 15.0


class RebasedSession(requests.Session):
    """A `requests.Session` that rewrites `official` URLs onto `base_url` and always times out."""

    def __init__(self, official: str, base_url: str | None, *, timeout: float) -> None:
        super().__init__()
        self.official = official.rstrip("/")
        self.base_url = (base_url or official).rstrip("/")
        self.timeout = timeout
        self._local = threading.local()

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        url = url.decode() if isinstance(url, bytes) else url
        if url.startswith(self.official):
            url = self.base_url + url[len(self.official) :]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        self._local.last_response = None
        response = super().request(method, url, *args, **kwargs)
        self._local.last_response = response
        return response

    @property
    def last_response(self) -> requests.Response | None:
        """The response to this thread's most recent request (None if it raised)."""
        return getattr(self._local, "last_response", None)
