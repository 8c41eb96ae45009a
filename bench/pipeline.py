"""Throughput of the whole pipeline on SQLite: ingest -> classify -> draft -> store.

Plays N comments (the demo feed's texts under new ids, all released at once) through
the same functions the running service uses, in committed batches, and prints a table
then one JSON line with the figures.

    python -m bench.pipeline [--comments 10000] [--batch-size 200]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select

from ecoute.classifiers import load_classifier
from ecoute.core.db import make_engine, make_session_factory, session_scope, upgrade
from ecoute.core.logs import configure_logging
from ecoute.core.models import Comment, Draft, Source
from ecoute.core.settings import (
    DatabaseSettings,
    PipelineSettings,
    SourceSettings,
    example_config_path,
    load_settings,
)
from ecoute.monitor.classification import classify_pending
from ecoute.monitor.polling import poll_source
from ecoute.platforms.replay import DEFAULT_FEED, ReplayAdapter
from ecoute.responders.flows import draft_pending


def build_feed(path: Path, count: int) -> None:
    demo = json.loads((resources.files("ecoute.platforms") / "data" / DEFAULT_FEED).read_text())
    comments = []
    for index in range(count):
        entry = dict(demo["comments"][index % len(demo["comments"])])
        entry.update(
            id=f"bench-{index}",
            offset_s=0,
            parent_id=None,
            author={**entry["author"], "id": f"bench-author-{index % 3000}"},
        )
        comments.append(entry)
    path.write_text(json.dumps({"threads": demo["threads"], "comments": comments}))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    configure_logging("WARNING")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=200)
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="ecoute-bench-"))
    feed = workdir / "feed.json"
    build_feed(feed, args.comments)
    base = load_settings(example_config_path(), check_secrets=False)
    settings = base.model_copy(
        update={
            "data_dir": str(workdir),
            "database": DatabaseSettings(),
            "pipeline": PipelineSettings(batch_size=args.batch_size),
        }
    )
    engine = make_engine(settings.database_url())
    upgrade(engine)
    factory = make_session_factory(engine)
    source_settings = SourceSettings(
        name="bench", platform="replay", account="Fibrelle", feed=str(feed), speed=1000
    )
    with session_scope(factory) as session:
        source = Source(
            name="bench", platform="replay", account="Fibrelle", cursor={}, rate_limit={}
        )
        session.add(source)
        session.flush()
        source_id = source.id

    started = time.perf_counter()
    classifier = load_classifier()
    load_s = time.perf_counter() - started
    adapter = ReplayAdapter(source_settings.feed, speed=1000, page_size=args.batch_size)

    timings = {"ingest": 0.0, "classify": 0.0, "draft": 0.0}
    started = time.perf_counter()
    while True:
        step = time.perf_counter()
        stored = poll_source(factory, source_id, adapter, max_pages=1).stored
        timings["ingest"] += time.perf_counter() - step
        step = time.perf_counter()
        classified = classify_pending(factory, classifier, batch_size=args.batch_size)
        timings["classify"] += time.perf_counter() - step
        step = time.perf_counter()
        drafted = draft_pending(factory, settings, batch_size=args.batch_size)
        timings["draft"] += time.perf_counter() - step
        if not (stored or classified or drafted):
            break
    total = time.perf_counter() - started

    with session_scope(factory) as session:
        comments = session.scalar(select(func.count()).select_from(Comment)) or 0
        drafts = session.scalar(select(func.count()).select_from(Draft)) or 0
    engine.dispose()

    print(f"{'stage':<10}{'seconds':>10}{'comments/s':>14}")
    for stage, seconds in timings.items():
        print(f"{stage:<10}{seconds:>10.2f}{comments / seconds if seconds else 0:>14.0f}")
    print(f"{'total':<10}{total:>10.2f}{comments / total:>14.0f}")
    print(
        f"comments stored {comments}, drafts {drafts}, model load {load_s:.2f}s, "
        f"batch size {args.batch_size}, peak RSS {peak_rss_mb():.0f} MB, database {workdir}"
    )
    print(
        json.dumps(
            {
                "comments": comments,
                "drafts": drafts,
                "comments_per_s": round(comments / total, 1),
                "seconds": round(total, 2),
                "stage_seconds": {stage: round(seconds, 2) for stage, seconds in timings.items()},
                "model_load_s": round(load_s, 3),
                "peak_rss_mb": round(peak_rss_mb(), 1),
            }
        )
    )
    return 0 if comments == args.comments else 1


if __name__ == "__main__":
    sys.exit(main())
