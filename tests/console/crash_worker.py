"""A pipeline process for the crash test: polls page by page and processes each batch,
logging one event per committed step, until the feed is exhausted."""

from __future__ import annotations

import sys
from pathlib import Path

from ecoute.console.service import Service, open_database
from ecoute.core.logs import configure_logging
from ecoute.core.settings import load_settings
from ecoute.monitor.polling import poll_source


def main(config_path: str) -> int:
    configure_logging("INFO")
    settings = load_settings(Path(config_path))
    _engine, factory = open_database(settings, migrate=True)
    service = Service.build(settings, factory)
    while True:
        stored = sum(
            poll_source(factory, source_id, adapter, max_pages=1).stored
            for source_id, adapter in service.adapters.items()
        )
        classified, drafted = service.process()
        if not (stored or classified or drafted):
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
