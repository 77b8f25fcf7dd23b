"""The live freshness bench's parts: compressed time the scheduler honours, the site server's
publisher, the batched store reads a tick's start does for all its outlets, and how the bench reads
each of two daemons run side by side (its own CPU, its ticks, sender and memory)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.freshness import (
    LIVE_PUBLISH_S,
    LIVE_SEOUL_HOUR,
    LIVE_TAIL_S,
    _running,
    daemon_course,
    live_clock,
    stop_daemon,
)
from crawler.clock import SEOUL
from crawler.demosites.scale import Publication, scale_outlets
from crawler.demosites.server import Publisher
from crawler.errors import ConfigError
from crawler.registry import Outlet, Registry
from crawler.schedule import jobs
from crawler.schedule.cadence import CadenceConfig, choose_due, load_history
from crawler.schedule.config import ScheduleConfig
from crawler.schedule.simclock import ANCHOR_VAR, LAG_VAR, SCALE_VAR, SimClock, from_env
from tests.support.sites import StartSites

NOW = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)  # Monday 12:00 in Seoul
BASE = {"name": "x", "region": "서울", "home": "http://127.0.0.1:1/"}


def test_the_clock_runs_scale_times_faster_and_agrees_with_the_wall_at_its_anchor() -> None:
    clock = SimClock(5.0, NOW)
    assert clock.sim(NOW) == NOW
    assert clock.sim(NOW - timedelta(minutes=1)) == NOW - timedelta(minutes=5)  # before the anchor it lags
    assert clock.wall(clock.sim(NOW - timedelta(seconds=37))) == NOW - timedelta(seconds=37)
    assert clock.wall_span(timedelta(minutes=5)) == timedelta(minutes=1)
    assert SimClock.parse(clock.text()) == clock


def test_a_lagging_clock_runs_a_chosen_hour_of_the_day_and_stays_behind_the_wall() -> None:
    for hour in range(0, 24, 5):  # whatever the hour the bench starts at
        first_pub = NOW + timedelta(hours=hour, minutes=17)
        clock = live_clock(first_pub)
        start = clock.sim(first_pub).astimezone(SEOUL)
        assert (start.hour, start.minute) == (LIVE_SEOUL_HOUR, 0)
        end = first_pub + timedelta(seconds=LIVE_PUBLISH_S + LIVE_TAIL_S)
        assert clock.sim(end) <= end  # nothing is dated in the future
        assert clock.wall(clock.sim(end)) == end
        assert SimClock.parse(clock.text()) == clock
    lagged = SimClock(5.0, NOW, timedelta(hours=11))
    assert from_env({SCALE_VAR: "5", ANCHOR_VAR: NOW.isoformat(), LAG_VAR: "11h"}) == lagged
    assert lagged.sim(NOW) == NOW - timedelta(hours=11)


def test_time_scale_settings() -> None:
    assert from_env({}) is None
    assert from_env({SCALE_VAR: "1"}) is None  # real time
    assert from_env({SCALE_VAR: "5", ANCHOR_VAR: NOW.isoformat()}) == SimClock(5.0, NOW)
    for env in ({SCALE_VAR: "0"}, {SCALE_VAR: "fast"}, {SCALE_VAR: "5"}, {SCALE_VAR: "5", ANCHOR_VAR: "noon"}):
        with pytest.raises(ConfigError, match="NEWSWATCH_SCHEDULE_TIME_"):
            from_env(env)


def _compressed(monkeypatch: pytest.MonkeyPatch, scale: float, anchor: datetime = NOW) -> SimClock:
    monkeypatch.setenv(SCALE_VAR, str(scale))
    monkeypatch.setenv(ANCHOR_VAR, anchor.isoformat())
    clock = from_env()
    assert clock is not None
    return clock


def test_a_crawl_under_compressed_time_waits_between_requests_compressed_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """AutoThrottle's 1-s first delay between an outlet's feed and its new article is one second of
    real time: in the bench's compressed time it must count one simulated second, not five."""
    from crawler.crawl.project import project_settings

    real = project_settings()
    assert real.getfloat("AUTOTHROTTLE_START_DELAY") == 1.0
    _compressed(monkeypatch, 5)
    fast = project_settings({"AUTOTHROTTLE_MAX_DELAY": 7})
    assert fast.getfloat("AUTOTHROTTLE_START_DELAY") == pytest.approx(0.2)
    assert fast.getfloat("AUTOTHROTTLE_MAX_DELAY") == 7  # a crawl's own setting is taken as given
    assert fast.getfloat("DOWNLOAD_DELAY") == real.getfloat("DOWNLOAD_DELAY") / 5


def test_the_daemon_ticks_a_simulated_interval_in_wall_time(monkeypatch: pytest.MonkeyPatch) -> None:
    reg = Registry(outlet=[Outlet(id="a", **BASE, every="5m")])
    assert jobs.tick_interval(reg, ScheduleConfig()) == timedelta(minutes=5)
    _compressed(monkeypatch, 5)
    assert jobs.tick_interval(reg, ScheduleConfig()) == timedelta(minutes=1)
    adaptive = Registry(outlet=[Outlet(id="a", **BASE)])
    assert jobs.tick_interval(adaptive, ScheduleConfig(), CadenceConfig(mode="adaptive")) == timedelta(seconds=3)


def test_a_tick_decides_in_simulated_time(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    outlets = [Outlet(id="a", **BASE, every="5m")]
    recent = {"a": NOW - timedelta(seconds=70)}  # 70 s of wall time: 350 simulated seconds at 5×
    assert choose_due(db, outlets, recent, NOW, CadenceConfig()) == []
    _compressed(monkeypatch, 5)
    assert [o.id for o in choose_due(db, outlets, recent, NOW, CadenceConfig())] == ["a"]
    assert choose_due(db, outlets, {"a": NOW - timedelta(seconds=20)}, NOW, CadenceConfig()) == []  # 100 s


def test_history_is_read_in_simulated_time(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from crawler.store.models import Article

    clock = SimClock(10.0, NOW)
    with db.session() as s:
        for h in range(1, 49):  # one an hour over two simulated days, stored in wall time
            seen = clock.wall(NOW - timedelta(hours=h))
            s.add(Article(outlet_id="a", url=f"http://a/{h}", url_key=f"a/{h}", canonical_url=f"http://a/{h}",
                          title="제목", body_hash="h", family="ndsoft", first_seen_at=seen,
                          published_at=seen - timedelta(seconds=20)))
    config = CadenceConfig(mode="adaptive", lookback=timedelta(days=1))
    assert load_history(db, ["a"], NOW, config).counts == {"a": 48}  # all within 4.8 wall hours
    assert load_history(db, ["a"], NOW, config, clock).counts == {"a": 24}  # one simulated day


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 — the local test server
        return response.read().decode("utf-8")


def test_the_publisher_serves_articles_as_simulated_time_passes(sites: StartSites, tmp_path: Path) -> None:
    outlets = scale_outlets(2, 1)
    clock = SimClock(3600.0, datetime.now(UTC) + timedelta(hours=1))  # a simulated hour per wall second
    start = clock.sim(datetime.now(UTC))
    # one story syndicated to both outlets within two simulated minutes; one far beyond the test
    schedule = [Publication(30.0, 0, 7, True), Publication(150.0, 1, 7, True), Publication(10 * 86400.0, 0, 8, False)]
    log = tmp_path / "published.jsonl"
    server = sites(outlets, datetime(2026, 1, 2, 12, tzinfo=UTC))
    before = _get(server.urls["bench001"] + "rss/allArticle.xml")
    publisher = Publisher(server, schedule, start, clock, log, step_s=0.02)
    publisher.begin()
    deadline = time.monotonic() + 10
    while publisher.published < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    publisher.stop()
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(x["outlet"], x["story"], x["relevant"]) for x in lines] == [("bench001", 7, True), ("bench002", 7, True)]
    assert publisher.published == 2  # the third is ten simulated days away
    feed = _get(server.urls["bench001"] + "rss/allArticle.xml")
    assert feed != before and lines[0]["url"].replace("&", "&amp;") in feed
    first, copy = (_get(x["url"]) for x in lines)
    title = next(a.title for a in server.articles if server.article_url(a) == lines[0]["url"])
    assert title in first and title in copy  # a syndicated copy carries the same story
    published = next(a.published_at for a in server.articles if server.article_url(a) == lines[0]["url"])
    assert published == (start + timedelta(seconds=30)).replace(second=0, microsecond=0)


def test_batched_store_reads_equal_the_one_by_one_ones(db: Any) -> None:
    from crawler.store import crawlstate

    crawlstate.save_validators(db, [("http://a/rss", '"e1"', None), ("http://b/rss", None, "Mon, 05 Jan 2026 03:00:00 GMT")])
    crawlstate.save_robots(db, "a:1", 200, b"User-agent: *\nDisallow: /x\n")
    crawlstate.save_robots(db, "b:1", 404, b"")
    urls = ["http://a/rss", "http://b/rss", "http://c/rss"]
    many = crawlstate.validators_many(db, urls)
    assert {u: many.get(u, (None, None)) for u in urls} == {u: crawlstate.validators(db, u) for u in urls}
    hosts, age = ["a:1", "b:1", "c:1"], timedelta(hours=24)
    robots = crawlstate.cached_robots_many(db, hosts, age)
    assert {h: robots.get(h) for h in hosts} == {h: crawlstate.cached_robots(db, h, age) for h in hosts}
    assert crawlstate.cached_robots_many(db, hosts, timedelta(0)) == {}  # stale entries are not served


def test_a_daemons_course_is_read_from_its_log_and_rss_samples() -> None:
    """Ticks' walls and outcomes, how late the sender and the health check started, the RSS after the
    first tick and its slope over the run's second half (the daemon's log is in local time)."""
    base = datetime(2026, 12, 8, 0, 0, 0)  # naive local time, as the daemon logs

    def line(seconds: float, text: str) -> str:
        at = base + timedelta(seconds=seconds)
        return f"{at.strftime('%Y-%m-%d %H:%M:%S')},{at.microsecond // 1000:03d} INFO {text}"

    def sender(ran: float, scheduled: float) -> str:
        at = (base + timedelta(seconds=scheduled)).astimezone().isoformat()
        return line(ran, 'apscheduler.executors.default: Running job "send-outbox (trigger: interval[0:00:05], '
                         f'next run at: x)" (scheduled at {at})')

    log = "\n".join([
        line(10, "crawler.schedule.tick: crawl tick (tick): ok in 10.0s "),
        sender(15.5, 15), sender(20, 20),
        line(31.5, 'apscheduler.executors.default: Running job "health-check (trigger: interval[0:00:30], '
                    f'next run at: x)" (scheduled at {(base + timedelta(seconds=30)).astimezone().isoformat()})'),
        line(70, "crawler.schedule.tick: crawl tick (tick): ok in 12.0s "),
        line(130, "crawler.schedule.tick: crawl tick (tick): failed in 1.0s "),
        line(140, "crawler.schedule.tick: crawl tick (tick): stopped in 3.0s "),
    ])
    t0 = base.timestamp()
    # 80 MB until the first tick ends, then 100 MB, rising 36 MB an hour over the second half
    rss = [(t0 + t, 80.0 if t < 10 else 100.0 + max(0, t - 60) * 36 / 3600) for t in range(0, 121, 2)]
    course = daemon_course(log, rss)
    assert course["sender_runs"] == 2 and course["sender_max_late_s"] == 0.5
    assert course["health_runs"] == 1 and course["health_max_late_s"] == 1.5
    assert course["tick_slope_s_per_tick"] == 2.0  # the ok ticks: 10 s then 12 s
    assert course["ok_ticks"] == 2 and course["tick_wall_s"] == 11.0
    assert course["failed_ticks"] == 1  # the tick the bench's SIGTERM stops is not a failure
    assert course["daemon_rss_after_first_tick_mb"] == 100.0
    assert course["daemon_rss_slope_mb_per_h"] == pytest.approx(36.0, abs=0.5)
    assert course["daemon_rss_mb"] == pytest.approx(100.6, abs=0.1)


def test_stopping_a_daemon_reaps_it_with_its_own_cpu_seconds() -> None:
    """Two daemons run side by side: each one's CPU comes from its own wait4, not the bench's
    children total; one that ignores SIGTERM is killed after the timeout."""
    busy = ("import signal, sys\nsignal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
            "print(flush=True)\nwhile True: pass")
    proc = subprocess.Popen([sys.executable, "-c", busy], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline()
    time.sleep(1.0)
    assert _running(proc)
    cpu = stop_daemon(proc)
    proc.stdout.close()
    assert proc.returncode == 0
    assert 0.3 < cpu < 10
    stubborn = subprocess.Popen([sys.executable, "-c", "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                                 "print(flush=True)\ntime.sleep(60)"], stdout=subprocess.PIPE)
    assert stubborn.stdout is not None and stubborn.stdout.readline()
    stop_daemon(stubborn, timeout=0.5)
    stubborn.stdout.close()
    assert stubborn.returncode == -9
    gone = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    while _running(gone):  # a daemon that died before the bench stops it is reaped by stop_daemon
        time.sleep(0.05)
    stop_daemon(gone)
    assert gone.returncode == 3
