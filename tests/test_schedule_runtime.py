"""The daemon's state: one scheduler per database (file lock, PostgreSQL advisory lock), broken files."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.schedule import jobs, tick
from crawler.schedule.config import ScheduleConfig
from crawler.schedule.lock import AlreadyRunning, SchedulerLock
from crawler.schedule.runtime import HEARTBEAT_NAME, Runtime
from crawler.store.models import OutletRun, Run

GOOD_REGISTRY = """
[[outlet]]
id = "one"
name = "하나일보"
region = "인천"
home = "http://127.0.0.1:9/"
every = "30m"
"""
GOOD_RECIPIENTS = """
[[recipient]]
address = "team@example.org"
watchlists = ["medical-tourism"]

[[maintainer]]
address = "ops@example.org"
"""


def test_a_second_lock_is_refused_with_a_clear_message(db: Any) -> None:
    first, second = SchedulerLock(db.engine), SchedulerLock(db.engine)
    first.acquire()
    try:
        with pytest.raises(AlreadyRunning, match="another `newswatch schedule` is running"):
            second.acquire()
        first.ensure()
    finally:
        first.release()
    second.acquire()  # free again once released
    second.release()


@pytest.mark.postgres
def test_the_advisory_lock_is_taken_again_after_the_server_dropped_the_connection(pg_server: str) -> None:
    """PostgreSQL going away and coming back: the lock's session dies, `ensure()` re-takes it."""
    from sqlalchemy import text

    from crawler.store import make_engine

    engine, admin = make_engine(pg_server), make_engine(pg_server)
    lock = SchedulerLock(engine)
    lock.acquire()
    try:
        with admin.connect() as conn:  # what a server restart does to our session
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_locks "
                              "WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"))
            conn.commit()
        lock.ensure()
        with pytest.raises(AlreadyRunning):
            SchedulerLock(admin).acquire()
    finally:
        lock.release()
        engine.dispose()
        admin.dispose()


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    registry, recipients = tmp_path / "outlets.toml", tmp_path / "recipients.toml"
    registry.write_text(GOOD_REGISTRY, encoding="utf-8")
    recipients.write_text(GOOD_RECIPIENTS, encoding="utf-8")
    monkeypatch.setenv("NEWSWATCH_OUTLETS_FILE", str(registry))
    monkeypatch.setenv("NEWSWATCH_RECIPIENTS_FILE", str(recipients))
    return registry, recipients


@pytest.fixture
def runtime(db: Any, files: tuple[Path, Path]) -> Iterator[Runtime]:
    rt = Runtime(ScheduleConfig(), db, SchedulerLock(db.engine))
    rt.lock.acquire()
    rt.load()
    yield rt
    rt.ticks.close()
    rt.lock.release()


def _touch_later(path: Path, text: str) -> None:
    import os

    before = path.stat().st_mtime
    path.write_text(text, encoding="utf-8")
    os.utime(path, (before + 5, before + 5))


def test_a_broken_registry_keeps_the_last_good_one_and_tells_the_maintainers(
    runtime: Runtime, files: tuple[Path, Path], home: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    registry, _ = files
    _touch_later(registry, GOOD_REGISTRY + "\n[[outlet]]\nid = 'two'\nname = 'x'\nregion = '인천'\nhome = 'nope'\n")
    with caplog.at_level(logging.ERROR):
        runtime.reload_if_changed()
    assert [o.id for o in runtime.registry.value.outlet] == ["one"]  # type: ignore[union-attr]
    assert str(registry) in caplog.text and "outlet 'two'" in caplog.text
    notices = list((home / "outbox").glob("*.eml"))
    assert len(notices) == 1 and "ops@example.org" in notices[0].name
    runtime.reload_if_changed()
    runtime.reload("SIGHUP")
    assert len(list((home / "outbox").glob("*.eml"))) == 1, "the same error is told once"
    _touch_later(registry, GOOD_REGISTRY.replace('"one"', '"three"'))
    runtime.reload_if_changed()
    assert [o.id for o in runtime.registry.value.outlet] == ["three"]  # type: ignore[union-attr]
    assert runtime.errors == {}


def test_a_registry_cron_that_never_fires_is_a_broken_registry(runtime: Runtime, files: tuple[Path, Path],
                                                                caplog: pytest.LogCaptureFixture) -> None:
    registry, _ = files
    _touch_later(registry, GOOD_REGISTRY.replace('every = "30m"', 'cron = "0 9 30 2 *"'))
    with caplog.at_level(logging.ERROR):
        assert runtime.reload() is False
    assert "never fires" in caplog.text
    assert runtime.registry.value.outlet[0].every == timedelta(minutes=30)  # type: ignore[union-attr]


def test_broken_recipients_keep_the_last_good_ones(runtime: Runtime, files: tuple[Path, Path],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    _, recipients = files
    _touch_later(recipients, GOOD_RECIPIENTS.replace("team@example.org", "not an address"))
    with caplog.at_level(logging.ERROR):
        assert runtime.reload() is False
    assert str(recipients) in caplog.text
    assert runtime.recipients.value.recipient[0].address == "team@example.org"  # type: ignore[union-attr]


def test_the_heartbeat_row(runtime: Runtime, db: Any) -> None:
    from crawler.store.models import Heartbeat

    runtime.beat()
    runtime.beat()
    with db.session() as s:
        rows = s.query(Heartbeat).all()
    assert [r.name for r in rows] == [HEARTBEAT_NAME]
    assert rows[0].info["outlets"] == 1 and rows[0].pid


@pytest.mark.parametrize("keep", [False, True], ids=["process-per-tick", "kept-process"])
def test_a_tick_with_nothing_due_starts_no_crawl_and_a_due_one_names_its_outlets(
        runtime: Runtime, db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep: bool) -> None:
    """The daemon decides the due outlets itself: an empty tick costs no crawl (seconds of CPU
    before its first request in a new process), and a crawl that starts is told which outlets to
    take — on its command line, or in its request to the kept crawl process."""
    calls = tmp_path / "crawls.txt"
    code = f"import sys; open({str(calls)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')"
    monkeypatch.setattr(tick, "crawl_command", lambda extra=(): [sys.executable, "-c", code, *extra])
    serve = (f"import sys, json\nfor line in sys.stdin:\n"
             f"    open({str(calls)!r}, 'a').write(' '.join(json.loads(line)['argv']) + '\\n')\n"
             f"    print(json.dumps({{'returncode': 0}}), flush=True)\n")
    monkeypatch.setattr(tick, "serve_command", lambda: [sys.executable, "-c", serve])
    runtime.ticks.keep = keep
    jobs.install(runtime)
    try:
        jobs.crawl_tick(windowed=False)  # `one` was never crawled: due, and named
        assert [a for a in calls.read_text(encoding="utf-8").split() if a != "-q"] == ["one"]
        assert runtime.ticks.last is not None and runtime.ticks.last.outcome == "ok"
        with db.session() as s:  # crawled a minute ago; its interval is 30 minutes
            run = Run(started_at=datetime.now(UTC))
            s.add(run)
            s.flush()
            s.add(OutletRun(run_id=run.id, outlet_id="one", started_at=datetime.now(UTC) - timedelta(minutes=1)))
        jobs.crawl_tick(windowed=False)
        assert [a for a in calls.read_text(encoding="utf-8").split() if a != "-q"] == ["one"]  # no second crawl
        assert runtime.ticks.last is not None  # the heartbeat still shows a tick, and what it found
        assert (runtime.ticks.last.outcome, runtime.ticks.last.detail) == ("ok", "nothing due")
    finally:
        jobs.install(None)
