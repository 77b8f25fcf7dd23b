"""Running the real `newswatch` command in a subprocess, with a private home and fast politeness."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.env import ROOT

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


def entry_point(name: str = "newswatch") -> Path:
    """The console script installed next to the running interpreter (the venv's, wherever it is)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.fail(f"{path} is missing: install the project into this interpreter (`make venv`)", pytrace=False)
    return path
