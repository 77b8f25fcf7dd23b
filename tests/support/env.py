"""Where the tests run and what they need from the machine.

A missing need (a service, Chromium, a tool, `../shared`) skips its tests with the reason — except
under CI=true, where the machine must provide it and the test fails. Every such check goes
through `require`, so no test skips itself any other way.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def require(available: bool, missing: str, fix: str) -> None:
    """Go on when `available`; otherwise skip with `missing` and `fix`, or fail under CI=true."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{missing}: {fix} (under CI=true the machine must provide it)", pytrace=False)
    pytest.skip(f"{missing}: {fix}")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    require(_port_open(host, port), f"{name} is not running on {host}:{port}", "start it (.ci/run does)")


def need_chromium() -> str:
    require(os.path.exists(CHROMIUM), f"{CHROMIUM} is not installed", "`make chromium` installs Debian's")
    return CHROMIUM


def need_tool(name: str) -> str:
    """The path of a command-line tool on PATH."""
    path = shutil.which(name)
    require(path is not None, f"`{name}` is not on PATH", "install it")
    return str(path)


def need_shared(path: Path) -> Path:
    """A file or directory of ../shared (the corpus, the tools), which a fresh clone lacks."""
    require(path.exists(), f"{path} is absent", f"check out the shared material next to the project ({SHARED})")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
