"""`ecoute demo`: the whole product on a laptop, with no account and no network.

A fresh SQLite database, a local sandbox of the X and Facebook APIs into which the
bundled demo comments are posted over time, a seeded community-manager account, the
scheduler and the console. Écoute polls the sandbox through its real X and Facebook
adapters, so what the demo shows — polling, sorting, drafting, approving, publishing —
is what happens with real accounts.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ecoute.console.service import Service, open_database
from ecoute.console.setup import ensure_admin
from ecoute.core.domain import Role
from ecoute.core.settings import (
    ConsoleSettings,
    DatabaseSettings,
    Settings,
    SourceSettings,
    example_config_path,
    load_settings,
)
from ecoute.platforms.replay import load_feed
from ecoute.platforms.sandbox import demo_sources, play_feed, prepare_demo, start_sandbox

DEMO_USER = "camille"
DEMO_POLL_INTERVAL_S = 5


def demo_settings(
    data_dir: Path, *, host: str, port: int, sources: list[SourceSettings]
) -> Settings:
    """The example configuration, pointed at `data_dir` and at the sandbox's accounts."""
    base = load_settings(example_config_path(), check_secrets=False)
    return base.model_copy(
        update={
            "data_dir": str(data_dir.resolve()),
            "database": DatabaseSettings(),
            "console": ConsoleSettings(host=host, port=port),
            "sources": sources,
        }
    )


def fresh_data_dir(data_dir: str | Path | None) -> Path:
    """The demo's folder, with any previous demo database removed."""
    path = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="ecoute-demo-"))
    path.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (path / f"ecoute.db{suffix}").unlink(missing_ok=True)
    return path


def run_demo(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    data_dir: str | Path | None = None,
    speed: float = 2.0,
    language: str = "fr",
) -> None:
    """Set everything up, print where to sign in, and run until interrupted."""
    if speed <= 0:
        raise ValueError("--speed must be positive")
    path = fresh_data_dir(data_dir)
    sandbox = start_sandbox()
    try:
        os.environ.update(prepare_demo(sandbox))
        sources = demo_sources(sandbox, poll_interval=DEMO_POLL_INTERVAL_S)
        settings = demo_settings(path, host=host, port=port, sources=sources)
        _engine, factory = open_database(settings, migrate=True)
        password = ensure_admin(
            factory,
            username=DEMO_USER,
            display_name="Camille",
            role=Role.APPROVER,
            language=language,
        )
        service = Service.build(settings, factory)
        feed = load_feed()
        player = play_feed(sandbox, feed, speed)
        print(
            f"Écoute demo\n"
            f"  console:  http://{host}:{port}/\n"
            f"  login:    {DEMO_USER} / {password}\n"
            f"  data:     {path}\n"
            f"  sandbox:  X API {sandbox.x_url} · Graph API {sandbox.graph_url}\n"
            f"{len(feed)} comments arrive over the next {feed[-1].offset_s / speed:.0f} seconds. "
            "Ctrl-C to stop.",
            flush=True,
        )
        try:
            service.run_forever(host, port)
        finally:
            player.stop()
    finally:
        sandbox.stop()
