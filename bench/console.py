"""Console latency with a large history: server time of the queue, a comment page and
the dashboard over a SQLite database of 1,000,000 comments.

The rows are generated inside SQLite (INSERT … SELECT over a recursive sequence), so
building the database takes seconds rather than minutes. The database is built by the
real migrations, so it has exactly the indexes a user's database has. Server time is
measured around the application (request in, response out) in the same process.

    .venv/bin/python -m bench.console [--comments 1000000] [--keep DIR]

The last line is JSON: comments, queue_p95_ms, comment_p95_ms, dashboard_p95_ms.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ecoute.console.accounts import create_user
from ecoute.console.app import create_app
from ecoute.core.db import make_engine, make_session_factory, session_scope, upgrade
from ecoute.core.domain import Role
from ecoute.core.settings import load_settings

PASSWORD = "bench password 1"
DAYS = 365
PENDING = 5_000
THREAD_SIZE = 40
AUTHORS = 150_000
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

COMMENTS_SQL = """
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < :count)
INSERT INTO comments (id, source_id, platform, external_id, thread_id, parent_external_id,
    author_id, author_handle, author_name, author_followers, author_verified, text, language,
    created_at, fetched_at, permalink, like_count, reply_count, share_count, raw, status)
SELECT n, 1,
    CASE WHEN n % 3 = 0 THEN 'facebook' ELSE 'x' END,
    'c' || n,
    't' || (n / :thread),
    NULL,
    'a' || ((n * 7919) % :authors),
    '@user' || ((n * 7919) % :authors),
    'User ' || ((n * 7919) % :authors),
    (n * 37) % 20000, 0,
    CASE n % 5
        WHEN 0 THEN 'Plus de connexion depuis ce matin, la box clignote rouge, dossier ' || n
        WHEN 1 THEN 'Bonjour, comment changer mon offre sans frais ? merci ' || n
        WHEN 2 THEN 'Still no fibre at home after the visit, third week now ' || n
        WHEN 3 THEN 'Service client injoignable, facture en double ce mois ' || n
        ELSE 'Nice new app, much faster than before ' || n END,
    CASE WHEN n % 5 = 2 OR n % 5 = 4 THEN 'en' ELSE 'fr' END,
    strftime('%Y-%m-%d %H:%M:%S', :start, '+' || (n * :step) || ' seconds') || '.000000',
    strftime('%Y-%m-%d %H:%M:%S', :start, '+' || (n * :step + 30) || ' seconds') || '.000000',
    NULL, n % 7, n % 3, n % 2, '{}',
    CASE WHEN n > :count - :pending THEN 'queued'
         WHEN n % 10 >= 7 THEN 'no_action' ELSE 'resolved' END
FROM seq
"""

CLASSIFICATIONS_SQL = """
INSERT INTO classifications (id, comment_id, category, confidence, probabilities, flags,
    language, model_version, origin, created_by_id, created_at)
SELECT id, id,
    CASE id % 5 WHEN 0 THEN 'complaint' WHEN 1 THEN 'service_question'
        WHEN 2 THEN 'complaint' WHEN 3 THEN 'complaint' ELSE 'general_opinion' END,
    0.8, '{}', CASE WHEN id % 997 = 0 THEN '["threat"]' ELSE '[]' END,
    language, 'bench-1', 'model', NULL, fetched_at
FROM comments
"""

DRAFTS_SQL = """
INSERT INTO drafts (id, comment_id, action, category, language, text, original_text, template,
    findings, status, due_at, created_at, edited_by_id, reviewed_by_id, reviewed_at,
    reject_reason, external_reply_id, attempts, last_error, next_attempt_at, published_at)
SELECT c.id, c.id,
    CASE WHEN c.id % 997 = 0 THEN 'escalate' ELSE 'reply' END,
    CASE c.id % 5 WHEN 1 THEN 'service_question' ELSE 'complaint' END,
    c.language,
    'Bonjour, je suis désolée pour ce souci. Écrivez-nous en message privé.',
    'Bonjour, je suis désolée pour ce souci. Écrivez-nous en message privé.',
    NULL, '[]',
    CASE WHEN c.status = 'queued' THEN 'pending'
         WHEN c.id % 53 = 0 THEN 'rejected' ELSE 'published' END,
    strftime('%Y-%m-%d %H:%M:%S', c.created_at,
        CASE c.id % 5 WHEN 1 THEN '+240 minutes' ELSE '+60 minutes' END) || '.000000',
    c.fetched_at,
    NULL,
    CASE WHEN c.status = 'queued' THEN NULL ELSE 1 + c.id % 4 END,
    CASE WHEN c.status = 'queued' THEN NULL
         ELSE strftime('%Y-%m-%d %H:%M:%S', c.created_at, '+' || (c.id % 90) || ' minutes')
              || '.000000' END,
    CASE WHEN c.id % 53 = 0 AND c.status != 'queued' THEN 'ton' END,
    NULL, CASE WHEN c.status = 'queued' THEN 0 ELSE 1 END, NULL, NULL,
    CASE WHEN c.status = 'queued' OR c.id % 53 = 0 THEN NULL
         ELSE strftime('%Y-%m-%d %H:%M:%S', c.created_at, '+' || (c.id % 90 + 1) || ' minutes')
              || '.000000' END
FROM comments c WHERE c.status != 'no_action'
"""

FOLLOWUPS_SQL = """
INSERT INTO case_followups (comment_id, draft_id, resolved_at, resolved_by_id, note, score,
    score_origin, scored_at, scored_by_id)
SELECT id, id, strftime('%Y-%m-%d %H:%M:%S', created_at, '+6 hours') || '.000000', 1 + id % 4,
    NULL, CASE WHEN id % 3 = 0 THEN 1 + id % 5 END, 'customer',
    strftime('%Y-%m-%d %H:%M:%S', created_at, '+9 hours') || '.000000', NULL
FROM comments WHERE id % 40 = 0 AND status = 'resolved'
"""


def build(engine: Engine, count: int, now: datetime) -> None:
    """Fill the database with `count` comments over the last year, most handled."""
    start = (now - timedelta(days=DAYS)).strftime(TIME_FORMAT)
    params = {
        "count": count,
        "thread": THREAD_SIZE,
        "authors": AUTHORS,
        "start": start,
        "step": DAYS * 86400 / count,
        "pending": min(PENDING, count // 10),
    }
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sources (id, name, platform, account, enabled, poll_interval_s, "
                "status, cursor, rate_limit, consecutive_failures, created_at) VALUES (1, 'bench',"
                " 'x', 'Fibrelle', 1, 60, 'ok', '{}', '{}', 0, :now)"
            ),
            {"now": now.strftime(TIME_FORMAT) + ".000000"},
        )
        for sql, values in (
            (COMMENTS_SQL, params),
            (CLASSIFICATIONS_SQL, {}),
            (DRAFTS_SQL, {}),
            (FOLLOWUPS_SQL, {}),
        ):
            connection.execute(text(sql), values)
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


class ServerTimer:
    """ASGI wrapper that records how long the application takes per request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last_ms = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.last_ms = (time.perf_counter() - started) * 1000


def measure(
    client: TestClient, timer: ServerTimer, urls: Callable[[int], str], runs: int
) -> list[float]:
    client.get(urls(0))  # warm the caches once, as a running console would be
    print(f"  first {urls(0)}: {timer.last_ms:.1f} ms")
    times = []
    for i in range(runs):
        response = client.get(urls(i))
        if response.status_code != 200:
            raise SystemExit(f"{urls(i)} answered {response.status_code}: {response.text[:300]}")
        times.append(timer.last_ms)
    return times


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--keep", help="build (or reuse) the database in this folder")
    args = parser.parse_args(argv)

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ecoute-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'ecoute.db'}"
    settings = load_settings(
        Path(__file__).resolve().parents[1] / "config.toml", check_secrets=False
    )
    settings = settings.model_copy(
        update={
            "data_dir": str(folder),
            "database": settings.database.model_copy(update={"url": url}),
        }
    )
    now = datetime.now(UTC)
    engine = make_engine(url)
    fresh = not (folder / "ecoute.db").exists() or not args.keep
    try:
        if fresh:
            upgrade(engine)
            started = time.perf_counter()
            factory = make_session_factory(engine)
            with session_scope(factory) as session:
                for i in range(4):
                    create_user(
                        session,
                        username=f"cm{i}",
                        password=PASSWORD,
                        display_name=f"CM {i}",
                        role=Role.APPROVER,
                    )
            build(engine, args.comments, now)
            print(f"built {args.comments} comments in {time.perf_counter() - started:.1f} s")
        factory = make_session_factory(engine)
        with engine.connect() as connection:
            comments = connection.execute(text("SELECT count(*) FROM comments")).scalar_one()
            pending = connection.execute(
                text("SELECT count(*) FROM drafts WHERE status = 'pending'")
            ).scalar_one()
        print(f"comments: {comments}, pending drafts: {pending}")

        timer = ServerTimer(create_app(settings, factory))
        client = TestClient(timer)  # type: ignore[arg-type]
        login = client.get("/login").text
        token = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/login", data={"username": "cm0", "password": PASSWORD, "csrf_token": token})
        rng = random.Random(7)
        ids = [rng.randint(1, comments) for _ in range(args.runs)]
        filters = ["", "?category=complaint", "?platform=facebook", "?language=en&page=3"]
        results = {
            "queue": measure(client, timer, lambda i: f"/queue{filters[i % 4]}", args.runs),
            "comment": measure(client, timer, lambda i: f"/comments/{ids[i]}", args.runs),
            "dashboard": measure(
                client, timer, lambda i: f"/dashboard?days={(30, 7)[i % 2]}", args.runs // 2
            ),
            "dashboard_90d": measure(client, timer, lambda i: "/dashboard?days=90", 5),
        }
        for name, values in results.items():
            print(
                f"{name:10s} n={len(values):3d}  p50 {statistics.median(values):7.1f} ms  "
                f"p95 {percentile(values, 0.95):7.1f} ms  max {max(values):7.1f} ms"
            )
        print(
            json.dumps(
                {
                    "comments": comments,
                    "queue_p95_ms": round(percentile(results["queue"], 0.95), 1),
                    "comment_p95_ms": round(percentile(results["comment"], 0.95), 1),
                    "dashboard_p95_ms": round(percentile(results["dashboard"], 0.95), 1),
                }
            )
        )
    finally:
        engine.dispose()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
