"""The dashboard served by a real `newswatch web` process, as headless Chromium shows it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.store import Database
from tests.support.browser import chromium_run
from tests.support.env import ROOT, free_port
from tests.support.monitor import write_registry
from tests.support.web import TITLE_A, TITLE_B, seed


def _command() -> list[str]:
    """`newswatch web` once the CLI has it, else the same command as a module."""
    from crawler.cli import build_parser

    try:
        build_parser().parse_args(["web", "--port", "1"])
    except SystemExit:
        return [sys.executable, "-m", "crawler.cli", "web"]
    return [str(Path(sys.executable).with_name("newswatch")), "web"]


@pytest.fixture
def served(home: Path, tmp_path: Path) -> Iterator[str]:
    """A seeded SQLite store and a `newswatch web` subprocess on a free loopback port."""
    env = {**os.environ, "NEWSWATCH_HOME": str(home), "NEWSWATCH_DB_URL": f"sqlite:///{home / 'newswatch.db'}",
           "NEWSWATCH_OUTLETS_FILE": str(write_registry(home)), "NEWSWATCH_WATCHLISTS_DIR": str(home / "wl"),
           "NEWSWATCH_SECRET": "web-test-secret-0123456789abcdef"}
    env.pop("NEWSWATCH_WEB_HOST", None)
    db = Database.open(env["NEWSWATCH_DB_URL"])
    try:
        seed(db, datetime.now(UTC))
    finally:
        db.close()
    port = free_port()
    log = (tmp_path / "web.log").open("w")
    proc = subprocess.Popen([*_command(), "--port", str(port)], env=env, cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "healthz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(f"newswatch web did not start:\n{(tmp_path / 'web.log').read_text()}")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _chromium(chromium: str, tmp_path: Path, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return chromium_run(chromium, tmp_path / f"chrome-{name}", *args)


def test_dashboard_in_chromium(chromium: str, served: str, home: Path, tmp_path: Path) -> None:
    shot = home / "artifacts" / "dashboard.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    done = _chromium(chromium, tmp_path, "shot", f"--screenshot={shot}", "--window-size=1280,2000",
                     "--hide-scrollbars", served)
    assert shot.exists() and shot.stat().st_size > 10_000, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    dom = _chromium(chromium, tmp_path, "dom", "--dump-dom", served).stdout
    assert TITLE_A in dom and TITLE_B in dom
    assert "2개 매체 보도" in dom and "1개 매체 보도" in dom
    assert 'id="outlet-incheonilbo"' in dom and "인천일보" in dom and "정상" in dom
    assert "<mark>의료관광</mark>" in dom
    assert "<polyline" in dom
    # the hostile story's <script> stayed text: nothing ran, nothing was injected
    assert "<script>" not in dom and "onerror" not in dom.split("&lt;img")[0]

    keep = os.environ.get("NEWSWATCH_KEEP_ARTIFACTS")
    if keep:  # copy the screenshot out of the temporary home for a person to look at
        target = Path(keep)
        target.mkdir(parents=True, exist_ok=True)
        (target / "dashboard.png").write_bytes(shot.read_bytes())
