"""A process killed with SIGKILL at any point loses and duplicates nothing after restart."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select

from ecoute.core.db import make_engine, make_session_factory, session_scope
from ecoute.core.domain import CommentStatus
from ecoute.core.models import Classification, Comment, Draft, Source
from ecoute.platforms.replay import DEFAULT_FEED

WORKER = Path(__file__).with_name("crash_worker.py")
FEED_SIZE = 1500


def write_feed(path: Path) -> None:
    """A large feed made of the demo comments repeated under new ids, all released at once."""
    demo = json.loads((resources.files("ecoute.platforms") / "data" / DEFAULT_FEED).read_text())
    comments = []
    for index in range(FEED_SIZE):
        entry = dict(demo["comments"][index % len(demo["comments"])])
        entry.update(id=f"crash-{index}", offset_s=0, parent_id=None)
        comments.append(entry)
    path.write_text(json.dumps({"threads": demo["threads"], "comments": comments}))


def write_config(tmp_path: Path, feed: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        '[brand]\nname = "Fibrelle"\n'
        "[pipeline]\nbatch_size = 40\n"
        '[[sources]]\nname = "big-feed"\nplatform = "replay"\naccount = "Fibrelle"\n'
        f'feed = "{feed}"\nspeed = 1000\n',
        encoding="utf-8",
    )
    return config


def run_until_killed(config: Path, kill_after_events: int) -> int:
    """Start the worker, SIGKILL it after it has logged `kill_after_events` committed steps."""
    process = subprocess.Popen(
        [sys.executable, str(WORKER), str(config)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    events = 0
    for line in process.stderr:
        if line.startswith("{") and json.loads(line).get("event") in {
            "source_polled",
            "comments_classified",
            "comments_drafted",
        }:
            events += 1
            if events == kill_after_events:
                process.send_signal(signal.SIGKILL)
                break
    process.wait(timeout=120)
    return process.returncode


def test_sigkill_mid_batch_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    feed = tmp_path / "feed.json"
    write_feed(feed)
    config = write_config(tmp_path, feed)
    for kill_after in (2, 9, 23, 40):
        assert run_until_killed(config, kill_after) == -signal.SIGKILL
    finished = subprocess.run(
        [sys.executable, str(WORKER), str(config)], capture_output=True, text=True, timeout=300
    )
    assert finished.returncode == 0, finished.stderr[-2000:]

    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'ecoute.db'}")
    with session_scope(make_session_factory(engine)) as session:
        count = select(func.count())
        assert session.scalar(count.select_from(Comment)) == FEED_SIZE
        assert session.scalar(select(func.count(func.distinct(Comment.external_id)))) == FEED_SIZE
        assert session.scalar(select(Source.cursor))["position"] == FEED_SIZE
        statuses = dict(
            session.execute(select(Comment.status, func.count()).group_by(Comment.status)).all()
        )
        assert set(statuses) <= {CommentStatus.QUEUED, CommentStatus.NO_ACTION}, statuses
        per_comment = (
            select(Classification.comment_id, func.count().label("n"))
            .group_by(Classification.comment_id)
            .subquery()
        )
        assert session.scalar(select(func.max(per_comment.c.n))) == 1
        assert session.scalar(select(func.count()).select_from(per_comment)) == FEED_SIZE
        drafts = (
            select(Draft.comment_id, func.count().label("n")).group_by(Draft.comment_id).subquery()
        )
        assert session.scalar(select(func.max(drafts.c.n))) == 1
        assert (
            session.scalar(select(func.count()).select_from(drafts))
            == statuses[CommentStatus.QUEUED]
        )
    engine.dispose()
