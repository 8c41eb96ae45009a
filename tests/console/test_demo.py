"""README command 1: `ecoute demo` shows drafted comments in the console within seconds."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

from tests.conftest import wait_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_serves_drafts_within_30_seconds(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ecoute.console.cli",
            "demo",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path),
            "--speed",
            "20",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "ECOUTE_LOG_LEVEL": "WARNING"},
    )
    started = time.monotonic()
    try:
        assert process.stdout is not None
        banner = "".join(process.stdout.readline() for _ in range(3))
        login = re.search(r"login:\s+(\S+) / (\S+)", banner)
        assert login, banner
        base = f"http://127.0.0.1:{port}"

        def health():
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    body = json.load(response)
            except OSError:
                return None
            polled = all(source["last_poll"] for source in body["sources"])
            return body if body["drafts_pending"] > 0 and polled else None

        body = wait_for(health, 30, "drafts in the review queue")
        assert time.monotonic() - started < 30
        polled = {source["name"]: source for source in body["sources"]}
        assert set(polled) == {"sandbox-x", "sandbox-facebook"}
        assert all(source["last_poll"] for source in polled.values())

        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        page = opener.open(f"{base}/login").read().decode()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = urlencode(
            {
                "username": login.group(1),
                "password": login.group(2),
                "csrf_token": csrf,
                "next": "/queue",
            }
        ).encode()
        queue = opener.open(f"{base}/login", data=form).read().decode()
        assert "File de relecture" in queue
        assert queue.count('class="item ') >= 1
        assert "Camille, service client Fibrelle" in queue or "Fibrelle customer care" in queue
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert (tmp_path / "ecoute.db").exists()
