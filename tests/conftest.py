"""Shared fixtures: real SQLite files, a fresh PostgreSQL schema per test, settings.

A test that needs a part this machine lacks (PostgreSQL, Chromium) skips with the
reason; with ECOUTE_REQUIRE_ALL_PARTS=1 (set by CI) the same situation fails instead.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from ecoute.core.settings import Settings, SourceSettings, example_config_path, load_settings

POSTGRES_URL = os.environ.get(
    "ECOUTE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `condition` (a state another process changes) until it is truthy; fail after
    `timeout` seconds naming `what` was awaited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def missing_part(reason: str) -> None:
    """Skip for a missing part, or fail when CI requires every part."""
    if os.environ.get("ECOUTE_REQUIRE_ALL_PARTS") == "1":
        pytest.fail(f"required part missing: {reason}")
    pytest.skip(reason)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ecoute.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose default schema is a new, empty schema, dropped after the test."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    schema = f"ecoute_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        missing_part(f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.orig}")
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Run the test on both databases Écoute supports."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


def make_settings(data_dir: Path, database_url: str | None = None, **updates: object) -> Settings:
    """The example configuration, pointed at a test folder and database."""
    base = load_settings(example_config_path(), check_secrets=False)
    database = base.database.model_copy(update={"url": database_url})
    sources = [SourceSettings(name="demo-feed", platform="replay", account="Fibrelle")]
    return base.model_copy(
        update={"data_dir": str(data_dir), "database": database, "sources": sources, **updates}
    )


@pytest.fixture(scope="session")
def classifier():
    from ecoute.classifiers import load_classifier

    return load_classifier()
