"""The `ecoute` command: set up, migrate, run, try the demo, classify and draft files.

Every user-facing failure (configuration, database, input file) is one line on stderr
and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ecoute.core.settings import ConfigError, Settings, example_config_path, load_settings

DEFAULT_CONFIG_ENV = "ECOUTE_CONFIG"


class UsageError(Exception):
    """A command-line problem phrased for the user."""


def _config_path(args: argparse.Namespace) -> Path:
    return Path(args.config or os.environ.get(DEFAULT_CONFIG_ENV) or "config.toml")


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(_config_path(args))


def cmd_init(args: argparse.Namespace) -> int:
    """Write the example configuration (if absent), create the database and an admin."""
    from ecoute.console.service import open_database
    from ecoute.console.setup import ensure_admin

    path = _config_path(args)
    if path.exists():
        print(f"{path}: already exists; keeping it")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(example_config_path(), path)
        print(f"{path}: written from the example; edit it, then run `ecoute run`")
    settings = load_settings(path, check_secrets=False)
    settings.data_path.mkdir(parents=True, exist_ok=True)
    _engine, factory = open_database(settings, migrate=True)
    print(f"database ready: {settings.database_url()}")
    created = ensure_admin(factory, username=args.admin)
    if created:
        print(f"console account created: {args.admin} / {created} (change it after signing in)")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring the database schema up to date."""
    from ecoute.core.db import current_revision, make_engine, upgrade

    settings = load_settings(_config_path(args), check_secrets=False)
    engine = make_engine(settings.database_url())
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    print(
        f"schema: {before or 'empty'} -> {after}"
        if before != after
        else f"schema: {after}, up to date"
    )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the scheduled jobs and the console."""
    from ecoute.console.service import Service, open_database

    settings = _settings(args)
    _engine, factory = open_database(settings, migrate=False)
    service = Service.build(settings, factory)
    host = args.host or settings.console.host
    port = args.port or settings.console.port
    print(f"Écoute is listening; console at http://{host}:{port}/  (Ctrl-C to stop)", flush=True)
    service.run_forever(host, port, jobs=not args.console_only)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Run the scheduled jobs without the console (one of several processes)."""
    from ecoute.console.service import Service, open_database

    settings = _settings(args)
    _engine, factory = open_database(settings, migrate=False)
    service = Service.build(settings, factory)
    print(f"Écoute worker {service.owner} started (SIGTERM or Ctrl-C to stop)", flush=True)
    service.run_worker()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Everything on a fresh SQLite file, fed by the bundled demo comments."""
    from ecoute.console.demo import run_demo

    run_demo(host=args.host, port=args.port, data_dir=args.data_dir, speed=args.speed)
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    """Classify each row of a CSV or JSONL file."""
    from ecoute.classifiers import classify_file, load_classifier

    classifier = None
    if args.model:
        model = Path(args.model)
        if not model.is_file():
            raise UsageError(f"{model}: no such model file")
        classifier = load_classifier(model)  # a bad file: ModelFileError, one line
    report = classify_file(
        Path(args.file),
        Path(args.out) if args.out else None,
        text_column=args.text_column,
        id_column=args.id_column,
        classifier=classifier,
    )
    _report_rows(report)
    print(f"model {report.model_version}", file=sys.stderr)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Retrain the classifier on the project's corpus plus this team's corrections."""
    from ecoute.classifiers import train_classifier
    from ecoute.console.service import model_params, model_path, open_database
    from ecoute.console.setup import corrections

    settings = _settings(args)
    _engine, factory = open_database(settings, migrate=False)
    extra = corrections(factory)
    out = model_path(settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = train_classifier(
        extra,
        out=out,
        progress=lambda message: print(message, flush=True),
        params=model_params(settings),
    )
    print(f"model {report.version} saved to {out} ({len(extra)} corrections included)")
    return 0


def cmd_draft(args: argparse.Namespace) -> int:
    """Classify and draft a reply for each row of a CSV or JSONL file."""
    from ecoute.console.service import load_team_classifier
    from ecoute.responders import draft_file

    settings = load_settings(_config_path(args), check_secrets=False)
    report = draft_file(
        Path(args.file),
        Path(args.out) if args.out else None,
        platform=args.platform,
        settings=settings,
        classifier=load_team_classifier(settings),
    )
    _report_rows(report)
    return 0


def _report_rows(report: object) -> None:
    """Tell which input rows were skipped and why, then how many rows were written."""
    path = getattr(report, "path", "input")
    bad_rows = getattr(report, "bad_rows", []) or []
    for bad in bad_rows:
        print(f"{path}: row {bad.row} skipped: {bad.reason}", file=sys.stderr)
    print(f"{getattr(report, 'written', 0)} rows written, {len(bad_rows)} skipped", file=sys.stderr)


def positive_float(value: str) -> float:
    """argparse type: a number greater than zero."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
    return number


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        help=f"configuration file (default: ${DEFAULT_CONFIG_ENV} or ./config.toml)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecoute",
        description="Listen to public comments on X and Facebook, sort them, draft replies, "
        "and let a community manager decide.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_text: str):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    init = add(
        "init",
        cmd_init,
        "write config.toml from the example, create the database and a first admin account",
    )
    _add_config(init)
    init.add_argument(
        "--admin",
        default="admin",
        metavar="NAME",
        help="username of the first console admin (default: admin)",
    )

    _add_config(add("migrate", cmd_migrate, "bring the database schema up to date"))

    run = add(
        "run", cmd_run, "run the pollers, the pipeline, the outbox, the alerts and the console"
    )
    _add_config(run)
    run.add_argument("--host", help="console address (default: from config.toml)")
    run.add_argument("--port", type=int, help="console port (default: from config.toml)")
    run.add_argument(
        "--console-only",
        action="store_true",
        help="serve the console without running the jobs (workers run them)",
    )

    worker = add(
        "worker",
        cmd_worker,
        "run the pollers, the pipeline, the outbox and the "
        "alerts without the console; start several on one PostgreSQL database to share "
        "the work",
    )
    _add_config(worker)

    demo = add(
        "demo",
        cmd_demo,
        "try Écoute on a fresh SQLite database with the bundled demo "
        "comments; prints the console URL and a login",
    )
    demo.add_argument("--host", default="127.0.0.1", help="console address (default: 127.0.0.1)")
    demo.add_argument("--port", type=int, default=8000, help="console port (default: 8000)")
    demo.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where to keep the demo database (default: a new temporary folder)",
    )
    demo.add_argument(
        "--speed",
        type=float,
        default=2.0,
        help="replay speed; 2 plays ten minutes of comments in five (default: 2)",
    )

    classify = add(
        "classify",
        cmd_classify,
        "classify the comments of a CSV or JSONL file; "
        "writes CSV: id, category, confidence, language, flags",
    )
    classify.add_argument("file", metavar="FILE")
    classify.add_argument("--out", metavar="OUT", help="output CSV (default: standard output)")
    classify.add_argument("--text-column", default="text", help="column holding the comment")
    classify.add_argument("--id-column", default="id", help="column holding the comment's id")
    classify.add_argument(
        "--model",
        metavar="FILE",
        help="model file (default: the shipped model; `ecoute train` writes the team's "
        "to DATA_DIR/models/classifier.zip)",
    )

    train = add(
        "train", cmd_train, "retrain the classifier on the corpus and the team's reclassifications"
    )
    _add_config(train)

    draft = add(
        "draft",
        cmd_draft,
        "classify and draft a reply for each comment of a CSV or "
        "JSONL file; writes CSV: id, category, action, language, text, findings",
    )
    _add_config(draft)
    draft.add_argument("file", metavar="FILE")
    draft.add_argument(
        "--platform",
        choices=["x", "facebook"],
        default="x",
        help="platform whose rules the drafts follow (default: x)",
    )
    draft.add_argument("--out", metavar="OUT", help="output CSV (default: standard output)")
    return parser


def _user_errors() -> tuple[type[Exception], ...]:
    from ecoute.classifiers import ClassifierInputError
    from ecoute.classifiers.errors import EmbeddingUnavailable, ModelFileError
    from ecoute.console.accounts import AccountError
    from ecoute.core.db import DatabaseError
    from ecoute.platforms.registry import AdapterUnavailable
    from ecoute.platforms.replay import FeedError

    errors: list[type[Exception]] = [
        ConfigError,
        UsageError,
        DatabaseError,
        ClassifierInputError,
        EmbeddingUnavailable,
        ModelFileError,
        AccountError,
        AdapterUnavailable,
        FeedError,
    ]
    try:
        from ecoute.responders import DraftInputError

        errors.append(DraftInputError)
    except ImportError:
        pass
    return tuple(errors)


def main(argv: Sequence[str] | None = None) -> int:
    from ecoute.core.logs import configure_logging

    args = build_parser().parse_args(argv)
    configure_logging(os.environ.get("ECOUTE_LOG_LEVEL", "INFO"))
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except _user_errors() as exc:
        print(f"ecoute: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"ecoute: error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
