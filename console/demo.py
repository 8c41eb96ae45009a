"""`ecoute demo`: the whole product on a laptop, with no account and no network.

A fresh SQLite database, the bundled demo comments replayed as if polled, a seeded
community-manager account, the scheduler and the console: within seconds the review
queue fills with sorted comments and drafted replies.
"""

from __future__ import annotations

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

DEMO_USER = "camille"


def demo_settings(data_dir: Path, *, host: str, port: int, speed: float) -> Settings:
    """The example configuration, pointed at `data_dir` and at the replayed demo feed."""
    base = load_settings(example_config_path(), check_secrets=False)
    feed = SourceSettings(
        name="demo-feed", platform="replay", account=base.brand.name, poll_interval=5, speed=speed
    )
    return base.model_copy(
        update={
            "data_dir": str(data_dir.resolve()),
            "database": DatabaseSettings(),
            "console": ConsoleSettings(host=host, port=port),
            "sources": [feed],
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
    settings = demo_settings(path, host=host, port=port, speed=speed)
    _engine, factory = open_database(settings, migrate=True)
    password = ensure_admin(
        factory, username=DEMO_USER, display_name="Camille", role=Role.APPROVER, language=language
    )
    service = Service.build(settings, factory)
    print(
        f"Écoute demo\n"
        f"  console:  http://{host}:{port}/\n"
        f"  login:    {DEMO_USER} / {password}\n"
        f"  data:     {path}\n"
        f"Comments arrive over the next {600 / speed:.0f} seconds. Ctrl-C to stop.",
        flush=True,
    )
    service.run_forever(host, port)
