"""A long crawl tick never delays the outbox sender or the health check, and a tick that ends
wakes the sender so a new alert goes out with the crawl that found it."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.registry import Registry
from crawler.schedule import daemon, jobs
from crawler.schedule.config import ScheduleConfig
from crawler.schedule.lock import SchedulerLock
from crawler.schedule.runtime import Runtime
from crawler.schedule.tick import TickResult


class SlowTicks:
    """Stands in for the tick runner: every tick blocks like a crawl that takes long."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = 0
        self.last = None
        self.done = threading.Event()  # set: the crawls end at once (the test is over)

    def run(self, reason: str = "tick", outlets: list[str] | None = None) -> TickResult:
        self.started += 1
        self.done.wait(self.seconds)
        return TickResult("", self.seconds, 0, "ok")

    def stop(self) -> None:
        pass


def _crons(n: int) -> Registry:
    base = {"name": "n", "region": "인천", "home": "http://127.0.0.1:1/"}
    return Registry.model_validate({"outlet": [{**base, "id": f"o{i}", "cron": f"{i} * * * *"} for i in range(n)]})


@pytest.fixture
def runtime(home: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A daemon's runtime on SQLite (the executors do not depend on the backend)."""
    from crawler.store import Database

    url = f"sqlite:///{home / 'newswatch.db'}"
    monkeypatch.setenv("NEWSWATCH_DB_URL", url)
    db = Database.open(url)
    config = ScheduleConfig(tick=timedelta(seconds=1), send_every=timedelta(seconds=1), window=None)
    rt = Runtime(config, db, SchedulerLock(db.engine))
    rt.scheduler = daemon.build_scheduler(rt)
    jobs.install(rt)
    yield rt
    if rt.scheduler.running:
        rt.scheduler.shutdown(wait=True)
    jobs.install(None)
    db.close()


def test_crawl_jobs_run_on_their_own_executor() -> None:
    specs = jobs.registry_jobs(_crons(2), ScheduleConfig(), "outlets.toml")
    assert {s.executor for s in specs} == {jobs.CRAWL_EXECUTOR}
    assert {s.executor for s in jobs.fixed_jobs(ScheduleConfig(), health=True)} == {"default"}


def test_long_crawl_ticks_never_hold_up_the_sender(runtime: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[float] = []
    runtime.ticks = SlowTicks(3.0)
    monkeypatch.setattr(runtime, "send", lambda: sent.append(time.monotonic()))
    scheduler = runtime.scheduler
    # five crawl jobs that all start at once and block (more than the default pool's 4 threads)
    specs = jobs.registry_jobs(_crons(4), runtime.config, "outlets.toml")
    specs += [s for s in jobs.fixed_jobs(runtime.config, health=False) if s.id == "send-outbox"]
    from datetime import datetime

    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while not scheduler.running and time.monotonic() < deadline:
            time.sleep(0.05)
        for spec in specs:
            scheduler.add_job(spec.func, trigger=spec.trigger, id=spec.id, kwargs=spec.kwargs,
                              jobstore=jobs.VOLATILE, executor=spec.executor,
                              next_run_time=datetime.now(jobs.SEOUL))
        t0 = time.monotonic()
        time.sleep(2.5)
        during = [t for t in sent if t >= t0]
        assert runtime.ticks.started >= 1
        assert len(during) >= 2, f"the sender ran {len(during)} times in 2.5 s while crawl ticks blocked"
    finally:
        runtime.ticks.done.set()
        scheduler.shutdown(wait=True)
        thread.join(timeout=10)


def test_a_finished_tick_wakes_the_sender(runtime: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime

    scheduler = runtime.scheduler
    runtime.ticks = SlowTicks(0.0)
    woke = threading.Event()
    monkeypatch.setattr(runtime, "send", woke.set)
    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while not scheduler.running and time.monotonic() < deadline:
            time.sleep(0.05)
        # the sender's next run is an hour away; the tick's end must bring it forward
        scheduler.add_job(f"{jobs.__name__}:send_outbox", trigger=jobs.interval(timedelta(hours=1)), id="send-outbox",
                          jobstore=jobs.VOLATILE, next_run_time=datetime.now(jobs.SEOUL) + timedelta(hours=1))
        jobs.crawl_tick(windowed=False)
        assert woke.wait(5), "the sender did not run after the tick"
        job = scheduler.get_job("send-outbox")
        assert job.next_run_time - datetime.now(jobs.SEOUL) > timedelta(minutes=50)  # its interval is kept
    finally:
        scheduler.shutdown(wait=False)
        thread.join(timeout=10)
