"""Scheduler benchmark: one crawl tick over 300 outlets with nothing new.

The site server runs `--scale 300:20` on fixed ports with a fixed anchor, so the same sites come
back on every run. A first seeding crawl (6,000 articles, minutes) is cached as a SQLite file
under `$NEWSWATCH_HOME/bench/`, keyed by anchor, ports and scale; re-runs copy it and skip the
seeding. The measured tick is what the scheduler starts: a `newswatch crawl -q` subprocess (all
300 outlets due), with the shipped politeness settings. Requests are counted by the server
(robots.txt and 304s included); CPU time is the subprocess's own.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawler import paths

OUTLETS, ARTICLES = 300, 20
ANCHOR = "2026-01-02T12:00:00+09:00"
PORT_BASE = 21700  # fixed (URLs are in the cached store) and below the ephemeral range (32768-60999)
TARGETS = {
    "schedule.tick_300_idle_wall_s": "≤ 60",
    "schedule.tick_300_idle_requests_per_outlet": "≤ 1.2",
}
# seeding only: local sites need no politeness delay; the measured tick runs as shipped
SEED_SETTINGS = ["-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "AUTOTHROTTLE_MAX_DELAY=0.2",
                 "-s", "NEWSWATCH_MAX_LIST_PAGES=20"]


def _cache_file() -> Path:
    stamp = ANCHOR.replace(":", "").replace("+", "p")
    return paths.bench_dir() / f"schedule-seed-{OUTLETS}x{ARTICLES}-{stamp}-{PORT_BASE}.db"


def _serve(work: Path, log: Path) -> subprocess.Popen[str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "crawler.demosites", "serve", "--scale", f"{OUTLETS}:{ARTICLES}",
         "--anchor", ANCHOR, "--port-base", str(PORT_BASE), "--registry-out", str(work / "outlets.toml"),
         "--log", str(log)],
        stdout=subprocess.PIPE, text=True, cwd=paths.PROJECT_ROOT)
    assert server.stdout is not None
    if not server.stdout.readline():
        server.wait(timeout=10)
        raise RuntimeError(f"the site server did not start (ports {PORT_BASE}+{OUTLETS} busy?)")
    return server


def _crawl(env: dict[str, str], *args: str) -> dict[str, float]:
    """One `newswatch crawl -q --all …` subprocess: its wall and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "-q", "--all", *args], env=env,
                         capture_output=True, text=True, cwd=paths.PROJECT_ROOT, check=False)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise RuntimeError(f"bench crawl failed ({out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu}


def _refresh_robots(db_file: Path) -> None:
    """A cached seed may be older than the robots cache's day; a tick every 30 minutes never is."""
    import sqlite3

    with sqlite3.connect(db_file) as conn:
        conn.execute("UPDATE robots_cache SET fetched_at = ?", (datetime.now(UTC).replace(tzinfo=None).isoformat(" "),))


def _copy_db(src: Path, dst: Path) -> None:
    """A consistent copy of a SQLite store (WAL included)."""
    import sqlite3

    dst.unlink(missing_ok=True)
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()


def _lines(log: Path) -> int:
    return sum(1 for _ in log.open()) if log.exists() else 0


def run() -> dict[str, Any]:
    work = paths.bench_dir() / "schedule-run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log, db_file, cache = work / "requests.log", work / "newswatch.db", _cache_file()
    server = _serve(work, log)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSWATCH_SMTP_", "SENTRY_"))}
        env.update({"NEWSWATCH_HOME": str(work), "NEWSWATCH_OUTLETS_FILE": str(work / "outlets.toml"),
                    "NEWSWATCH_DB_URL": f"sqlite:///{db_file}"})
        env.pop("NEWSWATCH_REDIS_URL", None)  # the single-process tick; Redis mode only enqueues
        seeded_s = 0.0
        if cache.exists():
            _copy_db(cache, db_file)
        else:
            seeded_s = _crawl(env, "--seed", *SEED_SETTINGS)["wall_s"]
            _copy_db(db_file, cache)
        _refresh_robots(db_file)
        before = _lines(log)
        tick = _crawl(env)
        requests = _lines(log) - before
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "schedule.tick_300_idle_wall_s": round(tick["wall_s"], 1),
        "schedule.tick_300_idle_cpu_s": round(tick["cpu_s"], 1),
        "schedule.tick_300_idle_requests_per_outlet": round(requests / OUTLETS, 2),
        "schedule.seed_crawl_s": round(seeded_s, 1),  # 0: the cached seed was used
    }
