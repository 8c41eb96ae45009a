"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from ecoute.core.db import (
    DatabaseError,
    current_revision,
    downgrade,
    ensure_current,
    head_revision,
    make_engine,
    upgrade,
)
from ecoute.core.models import Base


def test_migrations_match_models(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    ensure_current(engine)
    engine.dispose()


def test_downgrade_to_nothing_and_back(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert "comments" in inspect(engine).get_table_names()
    engine.dispose()


def test_out_of_date_schema_is_refused_with_the_fix(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with pytest.raises(DatabaseError, match="run `ecoute migrate`"):
        ensure_current(engine)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_bad_database_url_is_explained() -> None:
    with pytest.raises(DatabaseError, match="is not valid"):
        make_engine("not a url")
