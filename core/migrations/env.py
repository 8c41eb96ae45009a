"""Alembic environment: runs migrations on the engine Écoute hands over.

Écoute always calls Alembic through `ecoute.core.db`, which passes its configured
engine (WAL and foreign keys on SQLite), so there is no alembic.ini to keep in sync.
"""

from __future__ import annotations

from alembic import context

from ecoute.core.models import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
