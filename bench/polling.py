"""Polling and publishing under faults: 10,000 comments, 3 X accounts, 3 Facebook pages.

Everything runs for real: the sandbox's HTTP servers, tweepy and facebook-sdk, a SQLite
database, the poller and the outbox. Time runs 60 times faster than the wall clock
(`ScaledClock`), shared by the sandbox and the workers, so fifteen-minute rate-limit
windows and five-minute token retries play out in seconds.

Faults: 5 % server errors and 2 % timeouts on every request, a 429 burst on X and a
throttle on Facebook every few seconds, one expired token per platform (renewed later
in the run). Then 1,000 replies are approved and published by a publisher process that
is killed with SIGKILL at random points and restarted until every reply is out.

Prints a table, then one JSON line with the figures.

    .venv/bin/python bench/polling.py [--comments 10000] [--replies 1000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from ecoute.core.db import make_engine, make_session_factory, session_scope, upgrade
from ecoute.core.domain import Action, DraftStatus
from ecoute.core.logs import configure_logging
from ecoute.core.models import Comment, Draft, Source
from ecoute.monitor.polling import PollPolicy, due_sources, poll_source
from ecoute.platforms.facebook import FacebookAdapter
from ecoute.platforms.sandbox import ScaledClock, start_sandbox
from ecoute.platforms.x import XAdapter

SCALE = 60.0
TIMEOUT_S = 0.25
X_ACCOUNTS = ["Fibrelle", "FibrelleAide", "FibrelleBiz"]
PAGES = ["104857600", "104857601", "104857602"]
POLICY = PollPolicy(backoff_base_s=5.0, backoff_cap_s=120.0, auth_retry=timedelta(minutes=5))


def tokens_file(directory: Path) -> Path:
    return directory / "tokens.json"


def build_adapters(spec: dict, clock: ScaledClock, token_path: Path) -> dict[int, object]:
    """Adapters per source id; tokens are re-read from a file so renewals are seen."""

    def token(name: str):
        return lambda: json.loads(token_path.read_text())[name]

    adapters: dict[int, object] = {}
    for entry in spec["sources"]:
        if entry["platform"] == "x":
            adapters[entry["id"]] = XAdapter(
                entry["account"],
                bearer_token=token(f"x-app-{entry['account']}"),
                user_token=token(f"x-user-{entry['account']}"),
                api_url=spec["x_url"],
                timeout=TIMEOUT_S,
                clock=clock,
            )
        else:
            adapters[entry["id"]] = FacebookAdapter(
                entry["account"],
                page_token=token(f"fb-{entry['account']}"),
                api_url=spec["graph_url"],
                timeout=TIMEOUT_S,
                clock=clock,
                throttle_default_s=120,
            )
    return adapters


def publisher_main(spec_path: str) -> int:
    """The publisher process: publish until nothing is approved any more."""
    from ecoute.responders.outbox import publish_approved

    spec = json.loads(Path(spec_path).read_text())
    clock = ScaledClock(
        SCALE, start=datetime.fromisoformat(spec["clock_start"]), origin=spec["clock_origin"]
    )
    factory = make_session_factory(make_engine(spec["db"]))
    adapters = build_adapters(spec, clock, Path(spec["tokens"]))
    idle = threading.Event()
    while True:
        report = publish_approved(factory, adapters.__getitem__, clock=clock, limit=20)
        if report.published or report.failed:
            continue
        with session_scope(factory) as session:
            left = session.scalar(
                select(func.count())
                .select_from(Draft)
                .where(Draft.status.in_([DraftStatus.APPROVED, DraftStatus.PUBLISHING]))
            )
        if not left:
            return 0
        idle.wait(0.05)  # scheduler tick: nothing is due yet


def main() -> int:
    configure_logging("WARNING")  # the table and the JSON line, not every poll
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=10_000)
    parser.add_argument("--replies", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--publisher", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.publisher:
        return publisher_main(args.publisher)

    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="ecoute-bench-"))
    clock = ScaledClock(SCALE)
    sandbox = start_sandbox(clock=clock, seed=args.seed)
    tokens: dict[str, str] = {}
    for account in X_ACCOUNTS:
        tokens[f"x-app-{account}"] = f"app-{account}"
        tokens[f"x-user-{account}"] = f"user-{account}"
        sandbox.add_x_app_token(tokens[f"x-app-{account}"])
        sandbox.add_x_account(account, user_token=tokens[f"x-user-{account}"])
    for page in PAGES:
        tokens[f"fb-{page}"] = f"page-{page}"
        sandbox.add_page(page, f"Page {page}", token=tokens[f"fb-{page}"], call_limit=2000)
    token_path = tokens_file(workdir)
    token_path.write_text(json.dumps(tokens))
    for api in ("x", "graph"):
        sandbox.set_fault_rates(api, server_error=0.05, timeout=0.02, after_effect=0.5)

    db_url = f"sqlite:///{workdir / 'bench.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    spec_sources = []
    with session_scope(factory) as session:
        for platform, accounts in (("x", X_ACCOUNTS), ("facebook", PAGES)):
            for account in accounts:
                row = Source(
                    name=f"{platform}-{account}",
                    platform=platform,
                    account=account,
                    cursor={},
                    rate_limit={},
                    poll_interval_s=30,
                )
                session.add(row)
                session.flush()
                spec_sources.append({"id": row.id, "platform": platform, "account": account})
    spec = {
        "db": db_url,
        "x_url": sandbox.x_url,
        "graph_url": sandbox.graph_url,
        "tokens": str(token_path),
        "sources": spec_sources,
        "clock_start": clock.start.isoformat(),
        "clock_origin": clock.origin,
    }
    adapters = build_adapters(spec, clock, token_path)

    # -- the public writes: comments over about 40 seconds --------------------------------
    created: dict[str, set[str]] = {"x": set(), "facebook": set()}
    roots = {a: [sandbox.x.post(a, f"News {i} from {a}").id for i in range(3)] for a in X_ACCOUNTS}
    posts = {p: [sandbox.graph.add_post(p, f"News {i}").id for i in range(3)] for p in PAGES}
    done_writing = threading.Event()
    stop = threading.Event()

    def write() -> None:
        recent: dict[str, list[str]] = {k: [] for k in [*X_ACCOUNTS, *PAGES]}
        pause = 40.0 / args.comments
        for n in range(args.comments):
            if rng.random() < 0.5:
                account = rng.choice(X_ACCOUNTS)
                nested = recent[account] and rng.random() < 0.3
                if nested:
                    parent = rng.choice(recent[account][-50:])
                    tweet = sandbox.x.post(
                        f"fan{n % 500}", f"@someone moi aussi {n}", reply_to=parent
                    )
                else:
                    root = rng.choice(roots[account])
                    tweet = sandbox.x.post(f"fan{n % 500}", f"@{account} panne {n}", reply_to=root)
                created["x"].add(str(tweet.id))
                recent[account].append(tweet.id)
            else:
                page = rng.choice(PAGES)
                parent = (
                    rng.choice(recent[page][-50:]) if recent[page] and rng.random() < 0.3 else None
                )
                comment = sandbox.graph.add_comment(
                    sandbox.graph.comments[parent].post_id if parent else rng.choice(posts[page]),
                    f"Facture {n}",
                    author_id=f"p{n % 700}",
                    author_name=f"Client {n % 700}",
                    parent_id=parent,
                )
                created["facebook"].add(comment.id)
                recent[page].append(comment.id)
            if n % 50 == 49 and stop.wait(pause * 50):
                return
        done_writing.set()

    def chaos() -> None:
        """429 bursts and throttles every few seconds; one token per platform expires at
        10 s and is renewed at 20 s."""
        started = time.monotonic()
        expired = renewed = False
        while not stop.wait(2.0):
            sandbox.inject(
                "x", "rate_limit", path_contains=rng.choice(["/mentions", "/search"]), seconds=90
            )
            sandbox.inject("graph", "rate_limit", seconds=90)
            elapsed = time.monotonic() - started
            if elapsed > 10 and not expired:
                sandbox.expire_token(tokens[f"x-app-{X_ACCOUNTS[0]}"])
                sandbox.expire_token(tokens[f"fb-{PAGES[0]}"])
                expired = True
            if elapsed > 20 and not renewed:
                for key in (f"x-app-{X_ACCOUNTS[0]}", f"fb-{PAGES[0]}"):
                    new = tokens[key] + "-renewed"
                    sandbox.renew_token(tokens[key], new)
                    tokens[key] = new
                token_path.write_text(json.dumps(tokens))
                renewed = True

    started = time.monotonic()
    writer = threading.Thread(target=write, daemon=True)
    chaos_thread = threading.Thread(target=chaos, daemon=True)
    writer.start()
    chaos_thread.start()
    polls = failures = 0
    tick = threading.Event()
    total = args.comments
    while True:
        due = due_sources(factory, now=clock())
        for source_id in due:
            report = poll_source(
                factory,
                source_id,
                adapters[source_id],
                clock=clock,
                policy=POLICY,
                respect_schedule=True,
                rng=rng,
            )
            polls += 1
            failures += report.error is not None
        with session_scope(factory) as session:
            stored_now = session.scalar(select(func.count()).select_from(Comment))
        if done_writing.is_set() and stored_now >= total:
            break
        if time.monotonic() - started > 600:
            print("ingestion did not finish in 10 minutes", file=sys.stderr)
            break
        if not due:
            tick.wait(0.02)
    ingest_s = time.monotonic() - started
    stop.set()
    chaos_thread.join()
    writer.join()
    read_requests = sandbox.requests()

    # -- approve 1,000 replies and publish them with a publisher killed at random -----------
    with session_scope(factory) as session:
        ids = session.scalars(select(Comment.id).order_by(Comment.id)).all()
        for index, comment_id in enumerate(rng.sample(list(ids), min(args.replies, len(ids)))):
            session.add(
                Draft(
                    comment_id=comment_id,
                    action=Action.REPLY,
                    category="complaint",
                    text=f"Bonjour, nous regardons votre cas (réf. {index}).",
                    status=DraftStatus.APPROVED,
                )
            )
    for api in ("x", "graph"):
        sandbox.set_fault_rates(api, server_error=0.05, timeout=0.02, after_effect=0.5)
    spec_path = workdir / "spec.json"
    spec_path.write_text(json.dumps(spec))
    kills = 0
    publish_started = time.monotonic()
    while True:
        child = subprocess.Popen(
            [sys.executable, __file__, "--publisher", str(spec_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            child.wait(timeout=rng.uniform(0.3, 2.0) if kills < 15 else 300)
        except subprocess.TimeoutExpired:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            kills += 1
            continue
        if child.returncode == 0:
            break
        print(f"publisher exited with {child.returncode}", file=sys.stderr)
        break
    publish_s = time.monotonic() - publish_started

    with session_scope(factory) as session:
        stored_ids = {
            (p, e) for p, e in session.execute(select(Comment.platform, Comment.external_id))
        }
        rows = session.scalar(select(func.count()).select_from(Comment))
        statuses = dict(
            session.execute(select(Draft.status, func.count()).group_by(Draft.status)).all()
        )
        reconciled = session.scalar(
            select(func.count()).select_from(Draft).where(Draft.attempts > 1)
        )
    expected = {("x", i) for i in created["x"]} | {("facebook", i) for i in created["facebook"]}
    sandbox_stats = sandbox.stats.snapshot()
    published = len(sandbox.x_replies()) + len(sandbox.graph_replies())
    doubled: dict[str, int] = {}
    for reply in [*sandbox.x_replies(), *sandbox.graph_replies()]:
        doubled[reply["in_reply_to"]] = doubled.get(reply["in_reply_to"], 0) + 1
    with session_scope(factory) as session:
        for target, times in doubled.items():
            if times > 1:
                row = session.execute(
                    select(Draft.attempts, Draft.last_error)
                    .join(Comment)
                    .where(Comment.external_id == target)
                ).first()
                print(f"double reply on {target}: {times} replies, draft {row}", file=sys.stderr)
    sandbox.stop()

    figures = {
        "created": len(expected),
        "stored": len(stored_ids & expected),
        "missing": len(expected - stored_ids),
        "duplicates": rows - len(stored_ids),
        "approved": args.replies,
        "published": statuses.get(DraftStatus.PUBLISHED, 0),
        "failed": statuses.get(DraftStatus.FAILED, 0),
        "replies_on_platforms": published,
        "double_published": sandbox.double_published(),
        "publisher_kills": kills,
        "drafts_retried": reconciled,
        "early_requests": sandbox.early_requests(),
        "requests_per_comment": round(read_requests / max(len(expected), 1), 3),
        "requests": sandbox_stats.get("x.requests", 0) + sandbox_stats.get("graph.requests", 0),
        "faults_5xx": sandbox_stats.get("x.fault.server_error", 0)
        + sandbox_stats.get("graph.fault.server_error", 0),
        "faults_timeout": sandbox_stats.get("x.fault.timeout", 0)
        + sandbox_stats.get("graph.fault.timeout", 0),
        "rate_limit_bursts": sandbox_stats.get("x.fault.rate_limit", 0)
        + sandbox_stats.get("graph.fault.rate_limit", 0),
        "responses_401": sandbox_stats.get("x.status.401", 0),
        "graph_expired_190": sandbox_stats.get("graph.expired", 0),
        "polls": polls,
        "polls_with_error": failures,
        "ingest_s": round(ingest_s, 1),
        "publish_s": round(publish_s, 1),
    }
    width = max(len(k) for k in figures)
    print(f"{'figure':<{width}}  value")
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    print(json.dumps(figures))
    ok = (
        figures["stored"] == figures["created"]
        and figures["duplicates"] == 0
        and figures["double_published"] == 0
        and figures["early_requests"] == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
