"""Fixtures for the responder: the example configuration and a drafter built on it."""

from __future__ import annotations

import pytest

from ecoute.core.settings import Settings, example_config_path, load_settings
from ecoute.responders.drafting import Drafter


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings(example_config_path(), check_secrets=False)


@pytest.fixture(scope="session")
def drafter(settings: Settings) -> Drafter:
    return Drafter(settings)
