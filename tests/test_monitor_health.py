"""Health over runs stored in the database (SQLite and PostgreSQL), the heartbeat, aborted runs."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.crawl.extensions import close_stale_runs
from crawler.monitor.health import heartbeat_status, outlet_health, shortest_interval
from crawler.monitor.status import collect
from crawler.registry import load_registry
from crawler.store import Database
from crawler.store.models import Heartbeat, Run
from tests.support.monitor import add_article, add_run, healthy_history, write_registry

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


def registry(tmp_path: Path) -> dict:
    return load_registry(write_registry(tmp_path)).by_id()


def test_healthy_and_broken_outlets(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        healthy_history(s, "incheonilbo", NOW)
        healthy_history(s, "kbmaeil", NOW - timedelta(hours=4))
        for h in (3, 2, 1):  # a skin change: feed still read, nothing new, list empty
            add_run(s, "kbmaeil", NOW - timedelta(hours=h), new=0,
                    stats={"feed/entries": 0, "list/entries": 0})
    with db.session() as s:
        health = {o.outlet_id: o for o in outlet_health(s, registry(tmp_path), NOW)}
    assert health["incheonilbo"].state == "ok"
    assert health["incheonilbo"].daily_new[-1] > 0 and len(health["incheonilbo"].daily_new) == 7
    broken = health["kbmaeil"]
    assert broken.state == "failing"
    assert {c.rule for c in broken.failing} == {"no_new_articles", "empty_discovery"}
    no_new = next(c for c in broken.failing if c.rule == "no_new_articles")
    assert no_new.evidence["runs_without_new"] == 3 and no_new.evidence["baseline_median_new_per_run"] == 3


def test_stats_of_a_removed_outlet_are_shown_as_removed(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        healthy_history(s, "incheonilbo", NOW, hours=2)
        add_run(s, "closedpaper", NOW - timedelta(hours=2), new=0, errors=9, stats={"weird": "x"})
    with db.session() as s:
        health = {o.outlet_id: o for o in outlet_health(s, registry(tmp_path), NOW)}
    assert health["closedpaper"].state == "removed" and health["closedpaper"].checks == []
    assert health["kbmaeil"].state == "no runs"


def test_heartbeat_older_than_twice_the_shortest_interval_is_stale(db: Database, tmp_path: Path) -> None:
    reg = registry(tmp_path)
    assert shortest_interval(reg.values()) == timedelta(minutes=30)
    with db.session() as s:
        assert heartbeat_status(s, reg.values(), NOW).source == "none"
        s.add(Heartbeat(name="scheduler", beat_at=NOW - timedelta(minutes=59)))
    with db.session() as s:
        assert not heartbeat_status(s, reg.values(), NOW).stale
        beat = heartbeat_status(s, reg.values(), NOW + timedelta(minutes=2))
    assert beat.stale and beat.check().failed and beat.check().evidence["limit_minutes"] == 60


def test_cron_outlets_count_their_tightest_gap(tmp_path: Path) -> None:
    text = """
[[outlet]]
id = "busanilbo"
name = "부산일보"
region = "부산"
home = "https://www.busan.com/"
cron = "*/20 6-23 * * mon-fri"
"""
    reg = load_registry(write_registry(tmp_path, text)).by_id()
    assert shortest_interval(reg.values()) == timedelta(minutes=20)


def test_a_run_killed_half_way_is_shown_as_aborted(db: Database, tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    pid = int(dead.stdout)
    host = socket.gethostname()
    with db.session() as s:
        healthy_history(s, "incheonilbo", NOW, hours=2)
        s.add(Run(started_at=NOW - timedelta(minutes=10), status="running", pid=pid, host=host))
        s.add(Run(started_at=NOW - timedelta(minutes=20), status="running", pid=pid, host="another-host"))
    assert close_stale_runs(db, host) == 1
    report = collect(db, registry(tmp_path), NOW)
    assert report.last_run is not None and report.last_run.status == "aborted"
    assert report.last_run.finish_reason == "process ended without closing the run"
    with db.session() as s:
        other = s.query(Run).filter_by(host="another-host").one()
        assert other.status == "running"  # not ours to judge: its pid lives on another host


def test_last_new_article_comes_from_the_store(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        add_run(s, "incheonilbo", NOW - timedelta(days=5), new=1)
        add_run(s, "incheonilbo", NOW - timedelta(hours=1), new=0)
        add_article(s, "incheonilbo", NOW - timedelta(days=5), 1)
    with db.session() as s:
        health = {o.outlet_id: o for o in outlet_health(s, registry(tmp_path), NOW)}
    stale = next(c for c in health["incheonilbo"].checks if c.rule == "stale")
    assert stale.failed and stale.value == 5
    assert health["incheonilbo"].last_new_at == NOW - timedelta(days=5)
