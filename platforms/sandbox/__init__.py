"""A local stand-in for X and Facebook that speaks their wire formats.

X and Facebook cannot be reached from a laptop demo or a test run, so Écoute proves
every behaviour against these emulators, through the real tweepy and facebook-sdk
clients, over real HTTP on localhost.

Starting and stopping::

    from ecoute.platforms.sandbox import start_sandbox
    sandbox = start_sandbox(host="127.0.0.1", port=0, clock=None, seed=0)
    sandbox.x_url        # base URL of the X API v2 emulator, e.g. http://127.0.0.1:40123
    sandbox.graph_url    # base URL of the Graph API emulator
    sandbox.stop()       # or use it as a context manager

Both run in background threads. `clock` (a callable returning an aware UTC datetime)
is the emulators' notion of now; pass a `ManualClock` or `ScaledClock` (also exported)
and give the same clock to adapters and workers to control time without sleeping.

Accounts and tokens::

    sandbox.add_x_app_token("app-token")                        # bearer token (reading)
    sandbox.add_x_account("Fibrelle", user_token="user-token")  # brand + posting token
    sandbox.add_page("104857600", "Fibrelle", token="page-token",
                     permissions=frozenset({...}), call_limit=4800, window_s=3600)
    sandbox.expire_token("page-token"); sandbox.renew_token("page-token", "page-token-2")

Comments (as the public would write them)::

    root = sandbox.x.post("Fibrelle", "Our new offer")               # a brand tweet
    sandbox.x.post("alice", "@Fibrelle no internet since 8am", reply_to=root.id)
    post = sandbox.graph.add_post("104857600", "Our new offer")
    sandbox.graph.add_comment(post.id, "Still no fibre", author_id="42", author_name="Bob")

Faults (`api` is "x" or "graph")::

    sandbox.inject(api, "server_error" | "timeout" | "malformed" | "rate_limit",
                   count=1, method=None, path_contains=None, after_effect=False,
                   seconds=60.0)            # rate_limit: a 429 burst / a Graph throttle
    sandbox.set_fault_rates(api, server_error=0.05, timeout=0.02, malformed=0.0)

`after_effect=True` lets a write happen before the failure (the platform posted the
reply and the answer was lost). A timeout holds the connection open until the client
gives up.

What happened::

    sandbox.x_replies(), sandbox.x_hidden()
    sandbox.graph_replies(), sandbox.graph_hidden(), sandbox.private_replies()
    sandbox.double_published()   # targets with more than one brand reply
    sandbox.early_requests()     # requests sent while a rate limit was in force
    sandbox.requests(), sandbox.stats.snapshot(), sandbox.graph.versions

The demo::

    env = prepare_demo(sandbox)            # brand accounts + tokens; export these
    os.environ.update(env)
    sources = demo_sources(sandbox, poll_interval=5)   # list[SourceSettings]
    player = play_feed(sandbox, load_feed(), speed=10) # background thread
    ...  # poll `sources` with build_adapter(source)
    player.stop(); sandbox.stop()
"""

from ecoute.platforms.sandbox.clock import ManualClock, ScaledClock
from ecoute.platforms.sandbox.feed import (
    DEMO_ENV,
    DemoAccounts,
    FeedPlayer,
    demo_sources,
    play_feed,
    prepare_demo,
)
from ecoute.platforms.sandbox.server import Sandbox, start_sandbox

__all__ = [
    "DEMO_ENV",
    "DemoAccounts",
    "FeedPlayer",
    "ManualClock",
    "Sandbox",
    "ScaledClock",
    "demo_sources",
    "play_feed",
    "prepare_demo",
    "start_sandbox",
]
