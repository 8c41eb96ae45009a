"""More than one machine: throughput with 1, 2 and 3 workers on PostgreSQL, publishing
exactly once, and how fast a spike reaches the crisis contact.

For each worker count, a fresh PostgreSQL schema and a fresh sandbox hold N comments on
X and Facebook; `ecoute worker` processes poll, classify and draft them, then publish
the replies a CM approved. Comments per second are measured from the first comment
stored to the last one handled. Then, with a quiet history in place, a burst of
complaints is posted and the time until the spike alert reaches a webhook is measured
in poll intervals. Prints a table, then one JSON line.

    python -m bench.scale [--comments 3000] [--replies 200] [--poll-interval 5]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from ecoute.core.db import make_engine, make_session_factory, session_scope, upgrade
from ecoute.core.domain import Action, CommentStatus, DraftStatus
from ecoute.core.logs import configure_logging
from ecoute.core.models import Comment, Draft
from ecoute.platforms.sandbox import Sandbox, demo_sources, prepare_demo, start_sandbox

POSTGRES_URL = os.environ.get(
    "ECOUTE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DB_ENV = "ECOUTE_BENCH_DATABASE_URL"


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise SystemExit(f"timed out after {timeout:.0f}s waiting for {what}")


@contextmanager
def fresh_schema() -> Iterator[str]:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    schema = f"ecoute_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def write_config(
    folder: Path, sandbox: Sandbox, poll_interval: int, webhook: str | None, extra: str = ""
) -> Path:
    blocks = []
    for source in demo_sources(sandbox, poll_interval=poll_interval):
        lines = ["[[sources]]"]
        for key in ("name", "platform", "account", "token_env", "user_token_env", "api_url"):
            value = getattr(source, key)
            if value is not None:
                lines.append(f'{key} = "{value}"')
        lines.append(f"poll_interval = {poll_interval}")
        blocks.append("\n".join(lines))
    crisis = (
        f'[[crisis.contacts]]\nname = "Astreinte"\nnotify = ["json://{webhook}"]\n'
        if webhook
        else ""
    )
    config = folder / "config.toml"
    config.write_text(
        f'data_dir = "{folder / "data"}"\n[brand]\nname = "Fibrelle"\n'
        f'[database]\nurl_env = "{DB_ENV}"\n'
        "[pipeline]\nbatch_size = 100\npoll_lease_seconds = 10\npublish_lease_seconds = 10\n"
        f"{extra}{crisis}\n" + "\n\n".join(blocks) + "\n",
        encoding="utf-8",
    )
    return config


def post_comments(sandbox: Sandbox, count: int, *, spread: timedelta | None = None) -> None:
    """`count` complaints, half on X and half on Facebook, spread over the past if asked."""
    now = datetime.now(UTC)
    root = sandbox.x.post("Fibrelle", "Point réseau", at=now - timedelta(hours=3))
    post = sandbox.graph.add_post("104857600", "Point réseau", at=now - timedelta(hours=3))
    for index in range(count):
        at = now - spread * (index + 1) / count if spread else None
        if index % 2:
            sandbox.graph.add_comment(
                post.id,
                f"Ma box ne marche plus depuis ce matin, dossier {index}",
                author_id=f"f{index}",
                author_name=f"Client {index}",
                at=at,
            )
        else:
            sandbox.x.post(
                f"client{index}",
                f"@Fibrelle toujours pas d'internet ({index})",
                reply_to=root.id,
                at=at,
            )


class Workers:
    def __init__(self, count: int, config: Path, env: dict[str, str], logs: Path) -> None:
        self.processes = [
            subprocess.Popen(
                [sys.executable, "-m", "ecoute.console.cli", "worker", "--config", str(config)],
                env=env,
                stdout=(logs / f"worker{i}.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
            for i in range(count)
        ]

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            process.wait(timeout=60)


def count_rows(factory: Any, statement: Any) -> int:
    with session_scope(factory) as session:
        return session.scalar(statement) or 0


def run_throughput(workers: int, comments: int, replies: int, poll_interval: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"ecoute-scale-{workers}-"))
    with fresh_schema() as url, start_sandbox() as sandbox:
        env = {**os.environ, **prepare_demo(sandbox), DB_ENV: url, "ECOUTE_LOG_LEVEL": "WARNING"}
        config = write_config(folder, sandbox, poll_interval, None)
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        post_comments(sandbox, comments)
        stored = select(func.count()).select_from(Comment)
        handled = (
            select(func.count())
            .select_from(Comment)
            .where(Comment.status.in_([CommentStatus.QUEUED, CommentStatus.NO_ACTION]))
        )
        pool = Workers(workers, config, env, folder)
        try:
            wait_for(lambda: count_rows(factory, stored) > 0, 120, "the first stored comment")
            started = time.monotonic()
            wait_for(lambda: count_rows(factory, stored) == comments, 600, "every comment stored")
            polled = time.monotonic() - started
            wait_for(lambda: count_rows(factory, handled) == comments, 600, "every comment")
            seconds = time.monotonic() - started
            with session_scope(factory) as session:
                ids = session.scalars(
                    select(Draft.id).where(Draft.action == Action.REPLY).limit(replies)
                ).all()
                for draft in session.scalars(select(Draft).where(Draft.id.in_(ids))):
                    draft.status = DraftStatus.APPROVED
            published = (
                select(func.count()).select_from(Draft).where(Draft.status == DraftStatus.PUBLISHED)
            )
            wait_for(lambda: count_rows(factory, published) == len(ids), 300, "publishing")
        finally:
            pool.stop()
        with session_scope(factory) as session:
            rows = session.scalar(stored) or 0
            distinct = session.scalar(select(func.count(func.distinct(Comment.external_id))))
        engine.dispose()
        return {
            "workers": workers,
            "comments": comments,
            "seconds": round(seconds, 2),
            "stored_after_s": round(polled, 2),
            "comments_per_s": round(comments / seconds, 1),
            "duplicates": rows - (distinct or 0),
            "published": len(ids),
            "double_published": sandbox.double_published(),
        }


@contextmanager
def webhook_server() -> Iterator[tuple[int, list[tuple[float, dict]]]]:
    """A webhook on localhost recording (arrival time, JSON body) of each alert."""
    received: list[tuple[float, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            received.append((time.monotonic(), json.loads(self.rfile.read(length) or b"{}")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], received
    finally:
        server.shutdown()
        server.server_close()


def run_spike(workers: int, poll_interval: int) -> dict:
    """A quiet history, then a burst: how many poll intervals until the alert arrives."""
    folder = Path(tempfile.mkdtemp(prefix="ecoute-spike-"))
    with fresh_schema() as url, start_sandbox() as sandbox, webhook_server() as (port, hook):
        env = {**os.environ, **prepare_demo(sandbox), DB_ENV: url, "ECOUTE_LOG_LEVEL": "WARNING"}
        config = write_config(
            folder,
            sandbox,
            poll_interval,
            f"127.0.0.1:{port}/alerts",
            extra="[deadlines]\ncomplaint = 1440\n",
        )
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        post_comments(sandbox, 24, spread=timedelta(hours=2))  # two every ten minutes
        handled = (
            select(func.count())
            .select_from(Comment)
            .where(Comment.status.in_([CommentStatus.QUEUED, CommentStatus.NO_ACTION]))
        )
        pool = Workers(workers, config, env, folder)
        try:
            wait_for(lambda: count_rows(factory, handled) == 24, 120, "the quiet history")
            root = sandbox.x.post("Fibrelle", "Incident en cours")
            started = time.monotonic()
            for index in range(15):
                sandbox.x.post(
                    f"lyon{index}",
                    f"@Fibrelle plus d'internet depuis 1h ({index})",
                    reply_to=root.id,
                )

            def spike_arrived() -> float | None:
                for arrived, body in list(hook):
                    if "spike" in str(body.get("title", "")).lower():
                        return arrived
                return None

            arrived = wait_for(spike_arrived, 30 * poll_interval, "the spike alert")
        finally:
            pool.stop()
        engine.dispose()
    seconds = arrived - started
    return {"seconds": round(seconds, 2), "intervals": round(seconds / poll_interval, 2)}


def main(argv: list[str] | None = None) -> int:
    configure_logging("WARNING")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=3000)
    parser.add_argument("--replies", type=int, default=200)
    parser.add_argument("--poll-interval", type=int, default=5)
    args = parser.parse_args(argv)

    results = [
        run_throughput(count, args.comments, args.replies, args.poll_interval)
        for count in (1, 2, 3)
    ]
    spike = run_spike(2, args.poll_interval)
    print(
        f"{'workers':>8}{'all stored s':>14}{'all drafted s':>15}{'comments/s':>12}"
        f"{'duplicates':>12}{'published':>11}{'double':>8}"
    )
    for row in results:
        print(
            f"{row['workers']:>8}{row['stored_after_s']:>14}{row['seconds']:>15}"
            f"{row['comments_per_s']:>12}{row['duplicates']:>12}{row['published']:>11}"
            f"{row['double_published']:>8}"
        )
    print(
        f"spike to alert delivered: {spike['seconds']} s = {spike['intervals']} poll intervals "
        f"of {args.poll_interval} s (2 workers)"
    )
    print(
        json.dumps(
            {
                "workers": {str(r["workers"]): r["comments_per_s"] for r in results},
                "spike_alert_intervals": spike["intervals"],
                "spike_alert_seconds": spike["seconds"],
                "duplicates": sum(r["duplicates"] for r in results),
                "double_published": sum(r["double_published"] for r in results),
                "published": sum(r["published"] for r in results),
                "comments": args.comments,
                "poll_interval_s": args.poll_interval,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
