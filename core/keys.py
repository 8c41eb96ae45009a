"""The instance's secret key: signs console sessions and the acknowledgement links in alerts.

It comes from the environment variable the configuration names; when that is not set, a
key is generated once and kept in the data directory, readable by its owner only, so
that a laptop install needs no setup and restarts keep sessions valid.
"""

from __future__ import annotations

import os
import secrets

from ecoute.core.settings import Settings

KEY_FILE = "console_secret_key"


def instance_secret_key(settings: Settings) -> str:
    from_env = os.environ.get(settings.console.secret_key_env)
    if from_env:
        return from_env
    path = settings.data_path / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first: use theirs
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key
