"""The database watchdog: a call that never returns ends the process; slow gaps between calls do not."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, event, text

from crawler.store.watchdog import EX_TEMPFAIL, Watchdog


def _engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'w.db'}")

    @event.listens_for(engine, "connect")
    def _sleep_function(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.create_function("pause", 1, lambda s: time.sleep(s) or 0)

    return engine


def test_a_call_that_does_not_return_ends_the_process(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    ended: list[int] = []
    cleaned = threading.Event()
    dog = Watchdog(engine, 0.3, what="test", on_stuck=ended.append, before_exit=cleaned.set, poll_s=0.02).start()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pause(1.0)"))
    finally:
        dog.stop()
    assert ended == [EX_TEMPFAIL] and cleaned.is_set()


def test_quick_calls_and_idle_time_between_them_are_fine(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    ended: list[int] = []
    dog = Watchdog(engine, 0.3, what="test", on_stuck=ended.append, poll_s=0.02).start()
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            for i in range(5):
                conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": i})
                time.sleep(0.1)  # the crawl downloading between two statements: 0.5 s in all
        time.sleep(0.5)  # idle, connection back in the pool
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*), max(pause(0.01)) FROM t")).one()[0] == 5
    finally:
        dog.stop()
    assert ended == []


def test_a_failing_statement_is_not_counted_as_waiting(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    ended: list[int] = []
    dog = Watchdog(engine, 0.2, what="test", on_stuck=ended.append, poll_s=0.02).start()
    try:
        with engine.connect() as conn:
            try:
                conn.execute(text("SELECT * FROM missing"))
            except Exception:  # noqa: BLE001 - the error is the point
                pass
            time.sleep(0.4)
    finally:
        dog.stop()
    assert ended == [] and dog.stuck_for() == 0.0
