"""Scheduler settings, job specs from the registry, job sync, the tick runner's timeout and stop."""

from __future__ import annotations

import sys
import time
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from crawler.config import ClockWindow
from crawler.errors import ConfigError
from crawler.registry import Registry, RegistryError
from crawler.schedule import jobs, tick
from crawler.schedule.config import (
    ScheduleConfig,
    ScheduleConfigError,
    in_window,
    parse_duration,
    parse_window,
)


def _registry(*entries: dict[str, str]) -> Registry:
    base = {"name": "n", "region": "인천", "home": "http://127.0.0.1:1/"}
    return Registry.model_validate({"outlet": [{**base, **e} for e in entries]})


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("2h", 7200), ("1d", 86400)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text, "X") == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["0m", "5", "five minutes", "-1m"])
def test_bad_durations_name_the_variable(text: str) -> None:
    with pytest.raises(ConfigError, match="NEWSWATCH_SCHEDULE_TICK"):
        ScheduleConfig.from_env({"NEWSWATCH_SCHEDULE_TICK": text})


@pytest.mark.parametrize(("window", "at", "inside"), [
    ("06:00-23:00", clock(6), True), ("06:00-23:00", clock(22, 59), True), ("06:00-23:00", clock(23), False),
    ("06:00-23:00", clock(5, 59), False), ("22:00-02:00", clock(1), True), ("22:00-02:00", clock(12), False),
    ("always", clock(3), True), ("06:00-24:00", clock(23, 59), True),
])
def test_window(window: str, at: clock, inside: bool) -> None:
    assert in_window(parse_window(window), at) is inside


def test_window_default_and_errors() -> None:
    assert ScheduleConfig.from_env({}).window == ClockWindow(clock(6), clock(23))
    for bad in ("6-23", "06:00-06:00", "25:00-01:00"):
        with pytest.raises(ScheduleConfigError, match="NEWSWATCH_SCHEDULE_WINDOW"):
            parse_window(bad)


def test_tick_is_the_shortest_interval_and_crons_get_their_own_jobs() -> None:
    reg = _registry({"id": "a", "every": "2h"}, {"id": "b", "every": "20m"},
                    {"id": "c", "cron": "0 7 * * mon-fri"}, {"id": "d", "cron": "0  7 * * mon-fri"})
    specs = jobs.registry_jobs(reg, ScheduleConfig(), "outlets.toml")
    assert [s.id for s in specs] == ["crawl-tick", "crawl-cron:0 7 * * mon-fri"]
    assert str(specs[0].trigger) == "interval[0:20:00]"
    assert all(str(s.trigger.timezone) == "Asia/Seoul" for s in specs)  # type: ignore[attr-defined]
    assert jobs.tick_interval(_registry(), ScheduleConfig()) == timedelta(minutes=30)
    assert jobs.tick_interval(reg, ScheduleConfig(tick=timedelta(seconds=5))) == timedelta(seconds=5)


def test_a_cron_that_never_fires_is_rejected_naming_the_outlet() -> None:
    reg = _registry({"id": "feb", "cron": "0 9 30 2 *"})
    with pytest.raises(RegistryError, match=r"outlets.toml: outlet 'feb': cron '0 9 30 2 \*' never fires"):
        jobs.registry_jobs(reg, ScheduleConfig(), "outlets.toml")


def test_sync_keeps_unchanged_jobs_replaces_changed_and_removes_stale(tmp_path: Path) -> None:
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    sched = BackgroundScheduler(timezone=jobs.SEOUL, jobstores={
        "default": SQLAlchemyJobStore(url=f"sqlite:///{tmp_path / 'jobs.db'}"), "volatile": MemoryJobStore()})
    sched.start(paused=True)
    try:
        config = ScheduleConfig()
        first = _registry({"id": "a", "every": "30m"}, {"id": "c", "cron": "0 7 * * mon-fri"})
        specs = jobs.registry_jobs(first, config, "r") + jobs.fixed_jobs(config, health=False)
        assert set(jobs.sync_jobs(sched, specs)) == {s.id for s in specs}
        kept = sched.get_job("send-outbox").next_run_time
        assert jobs.sync_jobs(sched, specs) == [], "an unchanged registry changes nothing"
        second = _registry({"id": "a", "every": "10m"})
        specs = jobs.registry_jobs(second, config, "r") + jobs.fixed_jobs(config, health=False)
        assert sorted(jobs.sync_jobs(sched, specs)) == ["-crawl-cron:0 7 * * mon-fri", "crawl-tick"]
        assert sched.get_job("crawl-cron:0 7 * * mon-fri") is None
        assert str(sched.get_job("crawl-tick").trigger) == "interval[0:10:00]"
        assert sched.get_job("send-outbox").next_run_time == kept
    finally:
        sched.shutdown(wait=False)


def test_job_functions_need_a_running_scheduler() -> None:
    jobs.install(None)
    with pytest.raises(RuntimeError, match="newswatch schedule"):
        jobs.send_outbox()


def _fake_crawl(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    monkeypatch.setattr(tick, "crawl_command", lambda extra=(): [sys.executable, "-c", code])


def test_a_hanging_crawl_is_killed_and_the_next_tick_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_crawl(monkeypatch, "import time; print('crawling', flush=True); time.sleep(60)")
    runner = tick.TickRunner(timedelta(seconds=1), timedelta(seconds=2))
    t0 = time.monotonic()
    result = runner.run()
    assert result.outcome == "timeout" and "crawling" in result.detail
    assert time.monotonic() - t0 < 10
    _fake_crawl(monkeypatch, "print('ok')")
    assert runner.run().outcome == "ok"


def test_a_crawl_ignoring_sigterm_gets_sigkill(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_crawl(monkeypatch, "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
                             " print('up', flush=True); time.sleep(60)")
    runner = tick.TickRunner(timedelta(seconds=1), timedelta(seconds=1))
    t0 = time.monotonic()
    result = runner.run()
    assert result.outcome == "timeout" and result.returncode == -9
    assert time.monotonic() - t0 < 10


def test_a_failing_crawl_reports_its_output(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_crawl(monkeypatch, "import sys; print('database is down'); sys.exit(2)")
    result = tick.TickRunner(timedelta(seconds=30), timedelta(seconds=1)).run()
    assert (result.outcome, result.returncode) == ("failed", 2) and "database is down" in result.detail


def test_stop_ends_the_running_tick_and_refuses_new_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    _fake_crawl(monkeypatch, "import time; time.sleep(60)")
    runner = tick.TickRunner(timedelta(seconds=60), timedelta(seconds=2))
    out: list[tick.TickResult] = []
    worker = threading.Thread(target=lambda: out.append(runner.run()))
    worker.start()
    time.sleep(0.5)
    assert runner.run().outcome == "skipped", "never two ticks at once"
    runner.stop()
    worker.join(10)
    assert out and out[0].outcome == "stopped"
    assert runner.run().outcome == "skipped"
