"""Wiring the running service: database, sources, scheduled jobs and the console.

Each job does one step and keeps its state in the database (poll a source, carry the
new comments through classification and drafting, publish what people approved), so
the service can stop at any moment and resume where it was.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog
import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ecoute.classifiers import CommentClassifier, load_classifier, train_classifier
from ecoute.classifiers.model import ModelParams
from ecoute.console.app import create_app
from ecoute.console.jobs import JOB_EVENTS, job_listener
from ecoute.console.setup import corrections, corrections_since
from ecoute.console.weekly import send_weekly_report
from ecoute.core.db import (
    DatabaseError,
    ensure_current,
    make_engine,
    make_session_factory,
    session_scope,
    upgrade,
)
from ecoute.core.domain import SourceStatus
from ecoute.core.keys import instance_secret_key
from ecoute.core.models import Source, utcnow
from ecoute.core.settings import Settings, SourceSettings
from ecoute.monitor.classification import classify_pending
from ecoute.monitor.delivery import Notifier, deliver_due
from ecoute.monitor.engagement import engagement_due, refresh_engagement
from ecoute.monitor.leases import claim_source, release_source
from ecoute.monitor.polling import PollReport, due_sources, poll_source
from ecoute.monitor.watch import check_deadlines, check_spikes
from ecoute.platforms.base import EngagementAware, SourceAdapter
from ecoute.platforms.registry import build_adapter
from ecoute.responders.flows import draft_pending
from ecoute.responders.outbox import publish_approved

log = structlog.get_logger("ecoute.console.service")

PIPELINE_INTERVAL_S = 2
OUTBOX_INTERVAL_S = 5
WATCH_INTERVAL_S = 30
WATCH_MIN_GAP_S = 2
ALERTS_INTERVAL_S = 15


def open_database(
    settings: Settings, *, migrate: bool = False
) -> tuple[Engine, sessionmaker[Session]]:
    """Open the configured database; migrate it, or refuse an out-of-date schema."""
    engine = make_engine(settings.database_url())
    try:
        if migrate:
            upgrade(engine)
        else:
            ensure_current(engine)
    except OperationalError as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise DatabaseError(f"cannot open the database {where}: {exc.orig}") from None
    return engine, make_session_factory(engine)


def sync_sources(session: Session, sources: list[SourceSettings]) -> dict[str, int]:
    """Make the sources table match the configuration; return source ids by name.

    A source removed from the configuration is disabled, not deleted: its comments and
    history stay.
    """
    existing = {source.name: source for source in session.scalars(select(Source))}
    ids: dict[str, int] = {}
    for configured in sources:
        row = existing.pop(configured.name, None)
        if row is None:
            row = Source(name=configured.name, cursor={}, rate_limit={})
            session.add(row)
        row.platform = configured.platform
        row.account = configured.account
        row.enabled = configured.enabled
        row.poll_interval_s = configured.poll_interval
        if not configured.enabled:
            row.status = SourceStatus.DISABLED
        elif row.status == SourceStatus.DISABLED:
            row.status = SourceStatus.OK
        session.flush()
        ids[configured.name] = row.id
    for row in existing.values():
        row.enabled = False
        row.status = SourceStatus.DISABLED
    return ids


def model_path(settings: Settings) -> Path:
    """Where `ecoute train` keeps the model retrained with this team's corrections."""
    return settings.data_path / "models" / "classifier.zip"


def model_params(settings: Settings) -> ModelParams:
    """The pipeline parameters a retraining uses: the defaults, with the configured backend."""
    return ModelParams(embedding=settings.classifier.embedding)


def load_team_classifier(settings: Settings) -> CommentClassifier:
    """The team's retrained model when there is one, else the shipped model, with the
    configured "when in doubt" threshold as its decision rule."""
    path = model_path(settings)
    classifier = load_classifier(path if path.exists() else None)
    classifier.complaint_threshold = settings.policy.doubt_threshold
    return classifier


def worker_name() -> str:
    """Who holds a lease: readable in the health page, unique per process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Service:
    """The scheduler's jobs over one database; `run_forever` adds the console.

    Several services (workers and console instances) may share one PostgreSQL
    database: sources are polled under a lease, and every pipeline step claims its rows
    with `FOR UPDATE SKIP LOCKED`, so no comment is handled twice.
    """

    settings: Settings
    factory: sessionmaker[Session]
    classifier: CommentClassifier
    adapters: dict[int, SourceAdapter] = field(default_factory=dict)
    notifier: Notifier = field(default_factory=Notifier)
    secret_key: str = ""
    owner: str = field(default_factory=worker_name)
    clock: Callable[[], datetime] = utcnow
    scheduler: BackgroundScheduler = field(init=False)
    _pipeline_lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _last_watch_request: float = field(default=float("-inf"), init=False)

    def __post_init__(self) -> None:
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={
                # A late run is useless twice: one catch-up run replaces any backlog.
                "coalesce": True,
                # A job never overlaps itself; the next tick waits for the current one.
                "max_instances": 1,
                # A tick delayed by less than a minute (a busy machine) still runs.
                "misfire_grace_time": 60,
            },
        )

    @classmethod
    def build(cls, settings: Settings, factory: sessionmaker[Session]) -> Service:
        with session_scope(factory) as session:
            ids = sync_sources(session, settings.sources)
        adapters = {
            ids[source.name]: build_adapter(source) for source in settings.sources if source.enabled
        }
        return cls(
            settings,
            factory,
            load_team_classifier(settings),
            adapters,
            notifier=Notifier.from_settings(settings),
            secret_key=instance_secret_key(settings),
        )

    def adapter_for(self, source_id: int) -> SourceAdapter:
        return self.adapters[source_id]

    def poll(self, source_id: int) -> PollReport | None:
        """Poll one source if it is due and no other worker holds it."""
        now = self.clock()
        lease = timedelta(seconds=self.settings.pipeline.poll_lease_seconds)
        if not claim_source(self.factory, source_id, self.owner, lease=lease, now=now):
            return None
        try:
            report = poll_source(
                self.factory,
                source_id,
                self.adapters[source_id],
                respect_schedule=True,
                clock=self.clock,
            )
            adapter = self.adapters[source_id]
            healthy = report.error is None and not report.skipped
            if (
                healthy
                and isinstance(adapter, EngagementAware)
                and engagement_due(self.factory, source_id, self.settings, now)
            ):
                refresh_engagement(self.factory, source_id, adapter, self.settings, now=now)
        finally:
            release_source(self.factory, source_id, self.owner)
        if report.stored and self.scheduler.running:
            # New comments: run the pipeline now rather than at its next tick.
            self.scheduler.modify_job("pipeline", next_run_time=datetime.now(UTC))
        return report

    def poll_due(self) -> None:
        """The polling tick: every due source this process can reach, under a lease."""
        for source_id in due_sources(self.factory, now=self.clock()):
            if source_id in self.adapters:
                self.poll(source_id)

    def process(self) -> tuple[int, int]:
        """Carry new comments through classification and drafting."""
        batch = self.settings.pipeline.batch_size
        with self._pipeline_lock:
            classified = classify_pending(
                self.factory, self.classifier, batch_size=batch, settings=self.settings
            )
            drafted = draft_pending(self.factory, self.settings, batch_size=batch)
        if classified:
            self.watch_soon()
        return classified, drafted

    def watch_soon(self) -> None:
        """New complaints may make a spike: ask for a watch now rather than at the next
        tick, but at most once every WATCH_MIN_GAP_S, so that a backlog worked through
        in many batches does not recount the recent history after each one."""
        now = time.monotonic()
        if now - self._last_watch_request < WATCH_MIN_GAP_S:
            return
        self._last_watch_request = now
        if self.scheduler.running:
            self.scheduler.modify_job("watch", next_run_time=datetime.now(UTC))
        else:
            self.watch()

    def watch(self) -> None:
        """The crisis rules over time: spikes of complaints and insults, deadlines."""
        with session_scope(self.factory) as session:
            check_spikes(session, self.settings)
            check_deadlines(session, self.settings)
        if self.scheduler.running:
            self.scheduler.modify_job("alerts", next_run_time=datetime.now(UTC))

    def deliver_alerts(self) -> None:
        deliver_due(self.factory, self.settings, self.notifier, secret_key=self.secret_key)

    def publish(self) -> None:
        lease = timedelta(seconds=self.settings.pipeline.publish_lease_seconds)
        publish_approved(self.factory, self.adapter_for, lease=lease, clock=self.clock)

    def retrain(self) -> bool:
        """Retrain on the team's corrections when some arrived since the current model."""
        path = model_path(self.settings)
        since = datetime.fromtimestamp(path.stat().st_mtime, UTC) if path.exists() else None
        extra = corrections(self.factory)
        if not extra or (since is not None and not corrections_since(self.factory, since)):
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        report = train_classifier(extra, out=path, params=model_params(self.settings))
        self.classifier = load_team_classifier(self.settings)
        log.info("classifier_retrained", version=report.version, corrections=len(extra))
        return True

    def send_weekly_report(self) -> bool:
        return send_weekly_report(self.factory, self.settings, self.notifier)

    def poll_tick_seconds(self) -> int:
        """Tick faster than the shortest interval; `next_poll_at` decides what is due."""
        intervals = [s.poll_interval for s in self.settings.sources if s.enabled] or [60]
        return max(1, min(10, min(intervals) // 5))

    def start(self) -> None:
        now = datetime.now(UTC)
        add = self.scheduler.add_job
        add(
            self.poll_due,
            "interval",
            id="poll",
            seconds=self.poll_tick_seconds(),
            next_run_time=now,
        )
        add(self.process, "interval", id="pipeline", seconds=PIPELINE_INTERVAL_S, next_run_time=now)
        add(self.publish, "interval", id="outbox", seconds=OUTBOX_INTERVAL_S)
        add(self.watch, "interval", id="watch", seconds=WATCH_INTERVAL_S)
        add(self.deliver_alerts, "interval", id="alerts", seconds=ALERTS_INTERVAL_S)
        zone = ZoneInfo(self.settings.brand.timezone)
        # Daily and weekly jobs may run hours late (a machine asleep over the night) and
        # are still worth running once.
        add(
            self.retrain,
            "cron",
            id="retrain",
            hour=3,
            minute=30,
            timezone=zone,
            misfire_grace_time=6 * 3600,
        )
        add(
            self.send_weekly_report,
            "cron",
            id="weekly_report",
            day_of_week="mon",
            hour=8,
            timezone=zone,
            misfire_grace_time=12 * 3600,
        )
        self.scheduler.add_listener(job_listener(self.factory, self.owner), JOB_EVENTS)
        self.scheduler.start()
        log.info(
            "scheduler_started",
            owner=self.owner,
            jobs=[job.id for job in self.scheduler.get_jobs()],
        )

    def stop(self) -> None:
        """Stop scheduling and wait for running jobs: each finishes or rolls back its batch."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        log.info("scheduler_stopped", owner=self.owner)

    def run_worker(self) -> None:
        """Run the jobs without the console until SIGTERM or Ctrl-C."""
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        self.start()
        try:
            stopping.wait()
        finally:
            self.stop()

    def run_forever(self, host: str, port: int, *, jobs: bool = True) -> None:
        """Run the console, and the jobs unless workers run them, until interrupted."""
        app = create_app(self.settings, self.factory, scheduler=self.scheduler if jobs else None)
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
        server = uvicorn.Server(config)
        if jobs:
            self.start()
        try:
            server.run()
        finally:
            self.stop()
