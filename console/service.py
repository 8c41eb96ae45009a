"""Wiring the running service: database, sources, scheduled jobs and the console.

Each job does one step and keeps its state in the database (poll a source, carry the
new comments through classification and drafting, publish what people approved), so
the service can stop at any moment and resume where it was.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import structlog
import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ecoute.classifiers import CommentClassifier, load_classifier
from ecoute.console.app import create_app
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
from ecoute.core.models import Source
from ecoute.core.settings import Settings, SourceSettings
from ecoute.monitor.classification import classify_pending
from ecoute.monitor.delivery import Notifier, deliver_due
from ecoute.monitor.polling import poll_source
from ecoute.monitor.watch import check_deadlines, check_sources, check_spikes
from ecoute.platforms.base import SourceAdapter
from ecoute.platforms.registry import build_adapter
from ecoute.responders.flows import draft_pending
from ecoute.responders.outbox import publish_approved

log = structlog.get_logger("ecoute.console.service")

PIPELINE_INTERVAL_S = 2
OUTBOX_INTERVAL_S = 5
WATCH_INTERVAL_S = 30
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
    return settings.data_path / "models" / "classifier.skops"


def load_team_classifier(settings: Settings) -> CommentClassifier:
    """The team's retrained model when there is one, else the shipped model."""
    path = model_path(settings)
    return load_classifier(path if path.exists() else None)


@dataclass
class Service:
    """The scheduler's jobs over one database; `run_forever` adds the console."""

    settings: Settings
    factory: sessionmaker[Session]
    classifier: CommentClassifier
    adapters: dict[int, SourceAdapter] = field(default_factory=dict)
    notifier: Notifier = field(default_factory=Notifier)
    secret_key: str = ""
    scheduler: BackgroundScheduler = field(init=False)
    _pipeline_lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={
                # A late run is useless twice: one catch-up run replaces any backlog.
                "coalesce": True,
                # A job never overlaps itself; the next tick waits for the current one.
                "max_instances": 1,
                # A poll delayed by less than a minute (a busy machine) still runs.
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

    def poll(self, source_id: int) -> None:
        report = poll_source(self.factory, source_id, self.adapters[source_id])
        if report.stored and self.scheduler.running:
            # New comments: run the pipeline now rather than at its next tick.
            self.scheduler.modify_job("pipeline", next_run_time=datetime.now(UTC))

    def process(self) -> tuple[int, int]:
        """Carry new comments through classification and drafting."""
        batch = self.settings.pipeline.batch_size
        with self._pipeline_lock:
            classified = classify_pending(
                self.factory, self.classifier, batch_size=batch, settings=self.settings
            )
            drafted = draft_pending(self.factory, self.settings, batch_size=batch)
        if classified:
            # New complaints may make a spike: look now rather than at the next tick.
            self.watch()
        return classified, drafted

    def watch(self) -> None:
        """The crisis rules over time: spikes, deadlines, failing sources."""
        with session_scope(self.factory) as session:
            check_spikes(session, self.settings)
            check_deadlines(session, self.settings)
            check_sources(session, self.settings)
        if self.scheduler.running:
            self.scheduler.modify_job("alerts", next_run_time=datetime.now(UTC))

    def deliver_alerts(self) -> None:
        deliver_due(self.factory, self.settings, self.notifier, secret_key=self.secret_key)

    def publish(self) -> None:
        publish_approved(self.factory, self.adapter_for)

    def start(self) -> None:
        sources = {s.name: s for s in self.settings.sources}
        with session_scope(self.factory) as session:
            rows = session.scalars(select(Source).where(Source.id.in_(self.adapters))).all()
            jobs = [(row.id, row.name, sources[row.name].poll_interval) for row in rows]
        for source_id, name, interval in jobs:
            self.scheduler.add_job(
                self.poll,
                "interval",
                args=[source_id],
                id=f"poll:{name}",
                seconds=interval,
                jitter=max(1, interval // 10),
                next_run_time=datetime.now(UTC),
            )
        self.scheduler.add_job(
            self.process,
            "interval",
            id="pipeline",
            seconds=PIPELINE_INTERVAL_S,
            next_run_time=datetime.now(UTC),
        )
        self.scheduler.add_job(self.publish, "interval", id="outbox", seconds=OUTBOX_INTERVAL_S)
        self.scheduler.add_job(self.watch, "interval", id="watch", seconds=WATCH_INTERVAL_S)
        self.scheduler.add_job(
            self.deliver_alerts, "interval", id="alerts", seconds=ALERTS_INTERVAL_S
        )
        self.scheduler.start()
        log.info("scheduler_started", jobs=[job.id for job in self.scheduler.get_jobs()])

    def stop(self) -> None:
        """Stop scheduling and wait for running jobs: each finishes or rolls back its batch."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        log.info("scheduler_stopped")

    def run_forever(self, host: str, port: int) -> None:
        """Run the jobs and the console until interrupted (Ctrl-C or SIGTERM)."""
        app = create_app(self.settings, self.factory)
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
        server = uvicorn.Server(config)
        self.start()
        try:
            server.run()
        finally:
            self.stop()
