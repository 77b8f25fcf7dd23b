"""Headless Chromium from tests: one run with the project's flags, and the browsers a command starts."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import psutil

from tests.support.env import CHROMIUM_FLAGS, ROOT


def chromium_run(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with the project's flags and a profile directory of its own."""
    return subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def run_watching_browsers(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], set[int]]:
    """Run a command from the checkout, collecting the Chromium processes among its descendants meanwhile."""
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watcher = psutil.Process(proc.pid)
    browsers: set[int] = set()
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.extend(proc.communicate(timeout=240)), daemon=True)
    reader.start()
    while reader.is_alive():
        try:
            for child in watcher.children(recursive=True):
                try:
                    if "chrom" in child.name().lower():
                        browsers.add(child.pid)
                except psutil.NoSuchProcess:
                    continue
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.05)
    reader.join()
    stdout, stderr = out if out else ("", "")
    return subprocess.CompletedProcess(args, proc.returncode, stdout, stderr), browsers


def alive(pid: int) -> bool:
    """Whether a process still runs (a zombie does not)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
