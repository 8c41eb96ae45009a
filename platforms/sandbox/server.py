"""The two local HTTP servers and the `Sandbox` object tests and the demo drive.

Each API listens on its own port so that request paths are exactly the real ones
(`/2/tweets`, `/v25.0/{id}/comments`). Scripted faults are applied here, identically for
both: a 5xx, a connection held open until the client times out, a truncated JSON body,
a 429 burst or a Graph throttle. A fault with `after_effect` lets a write take effect
before failing, as a platform that posted a reply but lost the answer would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ecoute.platforms.sandbox.core import Clock, Fault, FaultPlan, Reply, Request, Stats
from ecoute.platforms.sandbox.graph_api import ALL_PERMISSIONS, GraphApi, PageToken
from ecoute.platforms.sandbox.x_api import XApi

HOLD_S = 30.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], app: Callable[[Request], Reply], stopping: threading.Event
    ) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.stopping = stopping


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        host = f"http://{self.server.server_address[0]}:{self.server.server_address[1]}"
        request = Request(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=host,
        )
        reply = self.server.app(request)
        if reply.hold:
            # Say nothing until the client gives up (or the sandbox stops).
            self.server.stopping.wait(HOLD_S)
            self.close_connection = True
            return
        payload = reply.encoded()
        self.send_response(reply.status)
        self.send_header(
            "content-type", reply.headers.pop("content-type", "application/json; charset=UTF-8")
        )
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the sandbox keeps counters instead of an access log."""


class Sandbox:
    """A running X + Graph emulator; see the package docstring for the scripting API."""

    def __init__(self, clock: Clock, *, seed: int = 0) -> None:
        self.clock = clock
        self.stats = Stats()
        self.x = XApi(clock, self.stats)
        self.graph = GraphApi(clock, self.stats)
        self.x_faults = FaultPlan(seed)
        self.graph_faults = FaultPlan(seed + 1)
        self._stopping = threading.Event()
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self.x_url = ""
        self.graph_url = ""

    # -- lifecycle ----------------------------------------------------------------

    def _start(self, host: str, port: int) -> None:
        for name, app in (("x", self._serve_x), ("graph", self._serve_graph)):
            server = _Server(
                (host, port if name == "x" else (port + 1 if port else 0)), app, self._stopping
            )
            url = f"http://{server.server_address[0]}:{server.server_address[1]}"
            if name == "x":
                self.x_url = url
            else:
                self.graph_url = url
                self.graph.base_url = url
            thread = threading.Thread(
                target=server.serve_forever, args=(0.05,), name=f"sandbox-{name}", daemon=True
            )
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving --------------------------------------------------------------------

    def _apply(
        self, plan: FaultPlan, api: str, request: Request, handle: Callable[[float | None], Reply]
    ) -> Reply:
        self.stats.add(f"{api}.requests")
        emulator = self.x if api == "x" else self.graph
        if emulator.blocked(request):
            # Early: answered like the platform would, whatever faults are queued.
            return self._count(api, handle(None))
        fault = plan.pick(request)
        if fault is None:
            return self._count(api, handle(None))
        self.stats.add(f"{api}.fault.{fault.kind}")
        if fault.kind == "rate_limit":
            return self._count(api, handle(fault.seconds))
        if fault.after_effect and request.method != "GET":
            handle(None)
        if fault.kind == "timeout":
            return Reply(0, hold=True)
        if fault.kind == "malformed":
            return Reply(200, raw=b'{"data": [{"id": "1", "text": "cut sh')
        if api == "x":
            title = "Service Unavailable" if fault.status == 503 else "Internal Server Error"
            return Reply(
                fault.status,
                {"title": title, "detail": title, "type": "about:blank", "status": fault.status},
            )
        return Reply(
            fault.status,
            {
                "error": {
                    "message": "An unexpected error has occurred. Please retry your request later.",
                    "type": "OAuthException",
                    "is_transient": True,
                    "code": 2,
                    "fbtrace_id": "sandbox",
                }
            },
        )

    def _count(self, api: str, reply: Reply) -> Reply:
        self.stats.add(f"{api}.status.{reply.status}")
        return reply

    def _serve_x(self, request: Request) -> Reply:
        return self._apply(self.x_faults, "x", request, lambda burst: self.x.handle(request, burst))

    def _serve_graph(self, request: Request) -> Reply:
        return self._apply(
            self.graph_faults,
            "graph",
            request,
            lambda throttle: self.graph.handle(request, throttle),
        )

    # -- scripting: accounts and tokens --------------------------------------------

    def add_x_account(
        self,
        username: str,
        *,
        name: str | None = None,
        followers: int = 0,
        user_token: str | None = None,
    ) -> str:
        """Create the brand's X account; `user_token` is its OAuth 2.0 user-context token."""
        user = self.x.add_user(username, name=name, followers=followers, verified=True)
        if user_token:
            with self.x.lock:
                self.x.user_tokens[user_token] = user.id
        return user.id

    def add_x_app_token(self, token: str) -> None:
        with self.x.lock:
            self.x.app_tokens.add(token)

    def add_page(
        self,
        page_id: str,
        name: str,
        *,
        token: str,
        permissions: frozenset[str] = ALL_PERMISSIONS,
        call_limit: int = 4800,
        window_s: float = 3600.0,
    ) -> None:
        self.graph.add_page(page_id, name, call_limit=call_limit, window_s=window_s)
        with self.graph.lock:
            self.graph.tokens[token] = PageToken(page_id, frozenset(permissions))

    def expire_token(self, token: str) -> None:
        """The token stops working (X answers 401, Graph error 190)."""
        with self.x.lock:
            if token in self.x.app_tokens or token in self.x.user_tokens:
                self.x.expired.add(token)
        with self.graph.lock:
            if token in self.graph.tokens:
                self.graph.tokens[token].expired = True

    def renew_token(self, old: str, new: str) -> None:
        """Issue `new` with the same rights as `old` (which stays expired)."""
        self.expire_token(old)
        with self.x.lock:
            if old in self.x.app_tokens:
                self.x.app_tokens.add(new)
            if old in self.x.user_tokens:
                self.x.user_tokens[new] = self.x.user_tokens[old]
        with self.graph.lock:
            if old in self.graph.tokens:
                previous = self.graph.tokens[old]
                self.graph.tokens[new] = PageToken(previous.page_id, previous.permissions)

    # -- scripting: faults -----------------------------------------------------------

    def inject(
        self,
        api: str,
        kind: str,
        *,
        count: int = 1,
        method: str | None = None,
        path_contains: str | None = None,
        after_effect: bool = False,
        seconds: float = 60.0,
        status: int = 503,
    ) -> None:
        """Queue `count` faults on `api` ("x" or "graph"): kind is "server_error",
        "timeout", "malformed" or "rate_limit" (a 429 burst / a Graph throttle lasting
        `seconds`)."""
        plan = self._plan(api)
        plan.add(Fault(kind, method, path_contains, after_effect, seconds, status), count)

    def set_fault_rates(
        self,
        api: str,
        *,
        server_error: float = 0.0,
        timeout: float = 0.0,
        malformed: float = 0.0,
        after_effect: float = 0.5,
    ) -> None:
        self._plan(api).set_rates(
            server_error=server_error,
            timeout=timeout,
            malformed=malformed,
            after_effect=after_effect,
        )

    def _plan(self, api: str) -> FaultPlan:
        if api not in ("x", "graph"):
            raise ValueError(f"api must be 'x' or 'graph', got {api!r}")
        return self.x_faults if api == "x" else self.graph_faults

    # -- reading what happened ----------------------------------------------------------

    def x_replies(self) -> list[dict[str, Any]]:
        with self.x.lock:
            return [dict(r) for r in self.x.published]

    def x_hidden(self) -> set[str]:
        with self.x.lock:
            return {str(t.id) for t in self.x.tweets.values() if t.hidden}

    def graph_replies(self) -> list[dict[str, Any]]:
        with self.graph.lock:
            return [dict(r) for r in self.graph.replies]

    def graph_hidden(self) -> set[str]:
        with self.graph.lock:
            return {c.id for c in self.graph.comments.values() if c.is_hidden}

    def private_replies(self) -> list[dict[str, Any]]:
        with self.graph.lock:
            return [dict(r) for r in self.graph.private_replies]

    def double_published(self) -> int:
        """Targets that received more than one public reply from a brand account."""
        seen: dict[tuple[str, str], int] = {}
        for r in self.x_replies():
            key = ("x", r["in_reply_to"])
            seen[key] = seen.get(key, 0) + 1
        for r in self.graph_replies():
            key = ("graph", r["in_reply_to"])
            seen[key] = seen.get(key, 0) + 1
        return sum(1 for count in seen.values() if count > 1)

    def early_requests(self) -> int:
        return self.stats.get("x.early_requests") + self.stats.get("graph.early_requests")

    def requests(self) -> int:
        return self.stats.get("x.requests") + self.stats.get("graph.requests")


def start_sandbox(
    host: str = "127.0.0.1", port: int = 0, *, clock: Clock | None = None, seed: int = 0
) -> Sandbox:
    """Start both emulators in background threads; `port=0` picks free ports (the Graph
    API listens on `port + 1` when a port is given)."""
    sandbox = Sandbox(clock or (lambda: datetime.now(UTC)), seed=seed)
    sandbox._start(host, port)
    return sandbox
