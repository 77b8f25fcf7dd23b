"""The pieces of "nothing lost" (issue 16) without a crawl: the store's record of incomplete
outlets, entry dates checked like page dates, the locks keyed by the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.extract.discovery import entry_date
from crawler.store import Database, crawlstate
from crawler.store.models import Run

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected", "reason"), [
    ("Mon, 07 Dec 2026 09:00:00 +0900", datetime(2026, 12, 7, 0, 0, tzinfo=UTC), None),
    ("2026-12-06T10:00:00Z", datetime(2026, 12, 6, 10, 0, tzinfo=UTC), None),
    ("입력 2026.12.06 19:00", datetime(2026, 12, 6, 10, 0, tzinfo=UTC), None),  # Seoul time
    ("Tue, 07 Jan 2031 09:00:00 +0900", None, "in the future"),  # must not head the digest
    ("1970-01-01T00:00:00Z", None, "before 2000"),
    ("", None, None),
    ("곧 공개", None, None),
])
def test_entry_dates_are_checked_like_page_dates(text: str, expected: datetime | None, reason: str | None) -> None:
    value, why = entry_date(text, NOW)
    assert value == expected
    assert (why is None) if reason is None else (why is not None and reason in why)


def test_incomplete_outlets_keep_the_earliest_gap(db: Database) -> None:
    t1, t2 = NOW - timedelta(hours=2), NOW - timedelta(hours=1)
    crawlstate.mark_incomplete(db, ["incheonnuri", "busanmaru"], since=t1, run_id=1, reason="run 1 has not finished")
    crawlstate.mark_incomplete(db, ["incheonnuri"], since=t2, run_id=2, reason="run 2 has not finished")
    assert crawlstate.incomplete_outlets(db) == {"incheonnuri": t1, "busanmaru": t1}  # back to the first gap
    assert crawlstate.interrupted_outlets(db) == {"incheonnuri", "busanmaru"}

    assert not crawlstate.mark_complete(db, "incheonnuri", 1), "run 2 took it over: only run 2's end decides"
    assert crawlstate.mark_complete(db, "incheonnuri", 2)
    crawlstate.mark_incomplete(db, ["busanmaru"], since=t2, run_id=3, reason="run 3: 2 error(s)", interrupted=False)
    assert crawlstate.incomplete_outlets(db) == {"busanmaru": t1}
    assert crawlstate.interrupted_outlets(db) == set(), "finished with errors: due at its interval, not at once"


def test_a_ticks_end_settles_all_its_outlets_at_once_but_not_those_another_run_took_over(db: Database) -> None:
    t1, t2 = NOW - timedelta(hours=2), NOW - timedelta(hours=1)
    outlets = [f"outlet{n:04d}" for n in range(1200)]  # more than one IN chunk
    crawlstate.mark_incomplete(db, outlets, since=t1, run_id=4, reason="run 4 has not finished")
    crawlstate.mark_incomplete(db, outlets[:2] + outlets[-1:], since=t2, run_id=5, reason="run 5 has not finished")
    assert crawlstate.mark_complete(db, outlets, 4) == set(outlets[2:-1])
    assert crawlstate.incomplete_outlets(db) == {outlets[0]: t1, outlets[1]: t1, outlets[-1]: t1}
    assert crawlstate.mark_complete(db, outlets, None, any_run=True) == {outlets[0], outlets[1], outlets[-1]}
    assert crawlstate.incomplete_outlets(db) == {}


def test_validators_of_many_urls_are_saved_and_replaced_in_one_call(db: Database) -> None:
    urls = [f"http://127.0.0.1:{9000 + n}/rss/allArticle.xml" for n in range(700)]
    crawlstate.save_validators(db, [(u, f'"e{n}"', None) for n, u in enumerate(urls)])
    crawlstate.save_validators(db, [(urls[0], '"new"', "Mon, 05 Jan 2026 03:00:00 GMT"), (urls[0], '"newer"', None),
                                    ("http://127.0.0.1:1/rss", None, None)])
    known = crawlstate.validators_many(db, [*urls, "http://127.0.0.1:1/rss"])
    assert known[urls[0]] == ('"newer"', None)  # the last row of a URL wins
    assert known[urls[699]] == ('"e699"', None) and known["http://127.0.0.1:1/rss"] == (None, None)
    assert len(known) == 701


def test_removed_outlet_stays_incomplete_and_is_shown(db: Database, tmp_path: Path) -> None:
    """Bad input: an outlet removed from the registry while incomplete. Outcome: its row stays
    (nothing crawls it), `newswatch status` keeps naming it until it is added back and crawled."""
    from crawler.monitor.status import collect

    with db.session() as s:
        s.add(Run(kind="crawl", started_at=NOW, pid=2**22 + 12345, host="gone-host", status="aborted",
                  finish_reason="process ended without closing the run"))
    crawlstate.mark_incomplete(db, ["removedpaper"], since=NOW, run_id=1, reason="run 1 (pid 1) has not finished")
    report = collect(db, {}, NOW)
    assert any(p.startswith("removedpaper: incomplete since") for p in report.problems)
    assert report.needs_a_person


def test_scheduler_lock_is_next_to_the_database_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One scheduler per store: two homes sharing one SQLite file share the lock."""
    from sqlalchemy import create_engine

    from crawler.schedule.lock import AlreadyRunning, SchedulerLock

    db_file = tmp_path / "shared" / "newswatch.db"
    db_file.parent.mkdir()
    engine = create_engine(f"sqlite:///{db_file}")
    monkeypatch.setenv("NEWSWATCH_HOME", str(tmp_path / "home-a"))
    first = SchedulerLock(engine)
    first.acquire()
    monkeypatch.setenv("NEWSWATCH_HOME", str(tmp_path / "home-b"))
    second = SchedulerLock(engine)
    assert second.lock_file == first.lock_file == db_file.with_name("newswatch.db.scheduler.lock")
    with pytest.raises(AlreadyRunning, match="on this database"):
        second.acquire()
    first.release()
    second.acquire()
    second.release()
    engine.dispose()


def test_two_processes_migrating_a_new_store_at_once(tmp_path: Path) -> None:
    """Serialised by a lock file next to the store: both succeed, the schema is at head once."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'new.db'}"
    code = f"from crawler.store import Database; Database.open({url!r}).close()"
    procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    db = Database.open(url)
    try:
        from sqlalchemy import inspect, text

        assert inspect(db.engine).has_table("incomplete_outlets")
        with db.sessions() as s:
            assert len(s.execute(text("SELECT version_num FROM alembic_version")).all()) == 1
    finally:
        db.close()


def test_no_remote_control_listens_in_a_crawl_or_worker() -> None:
    """Scrapy 2.19's remote-control extension (on by default) runs code sent to it: off, like telnet."""
    from crawler.crawl.project import project_settings
    from crawler.crawl.worker import worker_settings

    for settings in (project_settings(), worker_settings()):
        assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
        assert settings.getbool("TELNETCONSOLE_ENABLED") is False


def test_db_timeout_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    from crawler.errors import ConfigError
    from crawler.store.db import db_timeout_s

    monkeypatch.setenv("NEWSWATCH_DB_TIMEOUT_S", "0")
    with pytest.raises(ConfigError, match="NEWSWATCH_DB_TIMEOUT_S"):
        db_timeout_s()
    monkeypatch.setenv("NEWSWATCH_DB_TIMEOUT_S", "2.5")
    assert db_timeout_s() == 2.5


KILL_IN_BATCH = r"""
import os, signal, sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {tests!r})
from crawler.alert.onstore import AlertsOnStore
from tests.test_store_writer import record
from crawler.alert.recipients import load_recipients
from crawler.crawl.writer import WriterState, store_batch
from crawler.store import Database, crawlstate
from crawler.crawl import writer
from crawler.store.ingest import StoryCache
from datetime import UTC, datetime

db = Database.open({url!r})
crawlstate.mark_incomplete(db, ["demo-busan"], since=datetime.now(UTC), run_id=None, reason="crawl under way")
real, done = writer.ingest, []

def ingest_then_die(session, rec, **kw):
    out = real(session, rec, **kw)
    done.append(rec)
    if len(done) == 3:  # three articles written in the batch's transaction, not committed
        session.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    return out

writer.ingest = ingest_then_die
store_batch(WriterState(db, AlertsOnStore(load_recipients()), False, StoryCache()), [record(n) for n in range(5)])
"""


def test_kill_during_the_writers_batch_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad input: the writer killed inside a batch's transaction. Outcome: the batch is rolled back
    whole (no article half-stored, no alert without its article), the outlet stays incomplete, and
    the next run fetches those articles again (their keys are not stored)."""
    import subprocess
    import sys

    from crawler.store.models import Alert, Article

    recipients = tmp_path / "recipients.toml"
    recipients.write_text('[[recipient]]\naddress = "team@example.org"\nwatchlists = ["medical-tourism"]\n',
                          encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    root = Path(__file__).resolve().parents[1]
    script = KILL_IN_BATCH.format(root=str(root), tests=str(root / "tests"), url=url)
    env = {**__import__("os").environ, "NEWSWATCH_RECIPIENTS_FILE": str(recipients),
           "NEWSWATCH_HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr[-2000:]
    db = Database.open(url)
    try:
        with db.sessions() as s:
            from sqlalchemy import func, select

            assert s.scalar(select(func.count()).select_from(Article)) == 0
            assert s.scalar(select(func.count()).select_from(Alert)) == 0
        assert "demo-busan" in crawlstate.incomplete_outlets(db)
    finally:
        db.close()
