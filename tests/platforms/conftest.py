"""A running sandbox with a brand X account and a Facebook page, on a hand-moved clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ecoute.core.db import make_engine, make_session_factory, session_scope, upgrade
from ecoute.core.models import Source
from ecoute.platforms.facebook import FacebookAdapter
from ecoute.platforms.sandbox import ManualClock, Sandbox, start_sandbox
from ecoute.platforms.tokens import fixed
from ecoute.platforms.x import XAdapter

BRAND = "Fibrelle"
PAGE = "104857600"
X_APP, X_USER, FB_PAGE = "x-app-token", "x-user-token", "fb-page-token"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[Sandbox]:
    box = start_sandbox(clock=clock)
    box.add_x_app_token(X_APP)
    box.add_x_account(BRAND, user_token=X_USER)
    box.add_page(PAGE, BRAND, token=FB_PAGE)
    try:
        yield box
    finally:
        box.stop()


def x_adapter(sandbox: Sandbox, clock: ManualClock, **options: object) -> XAdapter:
    return XAdapter(
        BRAND,
        bearer_token=fixed(X_APP),
        user_token=fixed(X_USER),
        api_url=sandbox.x_url,
        clock=clock,
        timeout=options.pop("timeout", 5.0),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def fb_adapter(sandbox: Sandbox, clock: ManualClock, **options: object) -> FacebookAdapter:
    return FacebookAdapter(
        PAGE,
        page_token=options.pop("page_token", fixed(FB_PAGE)),  # type: ignore[arg-type]
        api_url=sandbox.graph_url,
        clock=clock,
        timeout=options.pop("timeout", 5.0),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def database(url: str, *sources: tuple[str, str, str]) -> tuple[sessionmaker[Session], list[int]]:
    """A migrated database with one Source row per (name, platform, account)."""
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    ids = []
    with session_scope(factory) as session:
        for name, platform, account in sources:
            row = Source(
                name=name,
                platform=platform,
                account=account,
                cursor={},
                rate_limit={},
                poll_interval_s=60,
            )
            session.add(row)
            session.flush()
            ids.append(row.id)
    return factory, ids
