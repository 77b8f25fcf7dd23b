"""Test helpers: running the real `newswatch` / `scrapy` commands in subprocesses, reading the site log."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# fast politeness for local servers; everything else as shipped
FAST = ["-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "NEWSWATCH_RETRY_BACKOFF_BASE=0.05", "-s", "DOWNLOAD_TIMEOUT=5",
        "-s", "RETRY_TIMES=1"]


def cli_env(home: Path, registry: Path | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("NEWSWATCH_") or k == "SENTRY_DSN")}
    env["NEWSWATCH_HOME"] = str(home)
    if registry is not None:
        env["NEWSWATCH_OUTLETS_FILE"] = str(registry)
    env.update(extra)
    return env


def newswatch(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)


def requests_by_outlet(log: Path, start: int = 0) -> dict[str, int]:
    """Requests per outlet in the site server's log, from line `start` on."""
    counts: dict[str, int] = {}
    if not log.exists():
        return counts
    for line in log.read_text().splitlines()[start:]:
        outlet = json.loads(line)["outlet"]
        counts[outlet] = counts.get(outlet, 0) + 1
    return counts


def log_length(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def run_async(make: Any) -> Any:
    """Run `make()`'s coroutine to the end on a loop of its own thread (the test process may have
    one running)."""
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["value"] = asyncio.run(make())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            out["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(120)
    if "error" in out:
        raise out["error"]
    return out["value"]
