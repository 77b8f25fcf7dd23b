"""The crawl process the scheduler keeps between ticks (crawler.commands.crawlserve, tick.KeptCrawler):
ticks crawl in one process, a refused request leaves it serving, and a timeout, a death or a stop
ends it — the next tick starts a fresh one and nothing is left running."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from crawler.schedule import tick
from crawler.store.models import Article
from tests.support.cli import FAST, cli_env
from tests.support.env import ROOT
from tests.support.sites import StartSites

_STARTED = re.compile(r"started the kept crawl process (\d+)")


def _pids(caplog: pytest.LogCaptureFixture) -> list[int]:
    return [int(m.group(1)) for r in caplog.records if (m := _STARTED.search(r.getMessage()))]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _stored(home: Path) -> dict[str, int]:
    engine = create_engine(f"sqlite:///{home / 'newswatch.db'}")
    with Session(engine) as s:
        outlets = list(s.scalars(select(Article.outlet_id)))
    engine.dispose()
    return {o: outlets.count(o) for o in set(outlets)}


def test_ticks_crawl_in_one_kept_process_and_a_refused_request_leaves_it_serving(
        sites: StartSites, home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    server = sites()
    for key, value in cli_env(home, server.registry, NEWSWATCH_CPU_WORKERS="0").items():
        monkeypatch.setenv(key, value)
    first, second = server.outlets[0].id, server.outlets[1].id
    runner = tick.TickRunner(timedelta(seconds=120), timedelta(seconds=5), tuple(FAST), keep=True)
    caplog.set_level(logging.INFO, logger="crawler.schedule.tick")
    try:
        one = runner.run("test", [first])
        assert one.outcome == "ok", one.detail
        assert set(_stored(home)) == {first}
        refused = runner.run("test", ["no-such-outlet"])
        assert refused.outcome == "failed" and refused.returncode == 2
        assert "unknown outlet(s): no-such-outlet" in refused.detail
        two = runner.run("test", [second])
        assert two.outcome == "ok", two.detail
        assert set(_stored(home)) == {first, second} and all(_stored(home).values())
        (pid,) = _pids(caplog)  # one process served the three ticks
        assert not _gone(pid)
    finally:
        runner.stop()
    assert _gone(pid), "the kept crawl process ends with the scheduler"


def _fake_server(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    monkeypatch.setattr(tick, "serve_command", lambda: [sys.executable, "-c", code])


SERVE = """
import json, os, sys, time
flag = sys.argv[1] if len(sys.argv) > 1 else None
for line in sys.stdin:
    print("crawling", json.loads(line)["argv"], file=sys.stderr, flush=True)
    {body}
    print(json.dumps({{"returncode": 0}}), flush=True)
"""


def test_a_kept_crawl_past_the_timeout_is_killed_and_the_next_tick_starts_a_fresh_one(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    flag = tmp_path / "hung-once"
    body = f"if not os.path.exists({str(flag)!r}):\n        open({str(flag)!r}, 'w').close(); time.sleep(60)"
    _fake_server(monkeypatch, SERVE.format(body=body))
    caplog.set_level(logging.INFO, logger="crawler.schedule.tick")
    runner = tick.TickRunner(timedelta(seconds=1), timedelta(seconds=2), keep=True)
    t0 = time.monotonic()
    hung = runner.run("test", ["a"])
    assert hung.outcome == "timeout" and "crawling ['-q', 'a']" in hung.detail
    assert time.monotonic() - t0 < 10
    assert runner.run("test", ["b"]).outcome == "ok"
    first, fresh = _pids(caplog)
    assert _gone(first) and not _gone(fresh)
    runner.close()
    assert _gone(fresh)


def test_a_kept_crawl_that_ignores_sigterm_gets_sigkill(monkeypatch: pytest.MonkeyPatch) -> None:
    body = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    _fake_server(monkeypatch, SERVE.format(body=body))
    runner = tick.TickRunner(timedelta(seconds=1), timedelta(seconds=1), keep=True)
    t0 = time.monotonic()
    result = runner.run("test", ["a"])
    assert (result.outcome, result.returncode) == ("timeout", -9)
    assert time.monotonic() - t0 < 10


def test_a_kept_crawl_that_dies_fails_its_tick_with_its_output(monkeypatch: pytest.MonkeyPatch) -> None:
    body = "print('database is down', file=sys.stderr, flush=True); sys.exit(3)"
    _fake_server(monkeypatch, SERVE.format(body=body))
    runner = tick.TickRunner(timedelta(seconds=30), timedelta(seconds=1), keep=True)
    result = runner.run("test", ["a"])
    assert (result.outcome, result.returncode) == ("failed", 3)
    assert "database is down" in result.detail and "ended (3)" in result.detail


def test_a_failed_crawl_answer_fails_the_tick_and_keeps_the_process(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    code = ("import json, sys\nfor line in sys.stdin:\n"
            "    print(json.dumps({'returncode': 1, 'error': 'outlet a failed'}), flush=True)\n")
    _fake_server(monkeypatch, code)
    caplog.set_level(logging.INFO, logger="crawler.schedule.tick")
    runner = tick.TickRunner(timedelta(seconds=30), timedelta(seconds=1), keep=True)
    try:
        for _ in range(2):
            result = runner.run("test", ["a"])
            assert (result.outcome, result.returncode) == ("failed", 1) and "outlet a failed" in result.detail
        assert len(_pids(caplog)) == 1
    finally:
        runner.close()


def test_an_unreadable_answer_fails_the_tick_and_the_next_one_is_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    code = ("import json, sys\nfirst = True\nfor line in sys.stdin:\n"
            "    print('not json' if first else json.dumps({'returncode': 0}), flush=True)\n    first = False\n")
    _fake_server(monkeypatch, code)
    runner = tick.TickRunner(timedelta(seconds=30), timedelta(seconds=1), keep=True)
    try:
        bad = runner.run("test", ["a"])
        assert (bad.outcome, bad.returncode) == ("failed", 1) and "not JSON" in bad.detail
        assert runner.run("test", ["a"]).outcome == "ok"
    finally:
        runner.close()


def test_stop_ends_a_kept_crawl_mid_tick_and_refuses_new_ticks(monkeypatch: pytest.MonkeyPatch,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    _fake_server(monkeypatch, SERVE.format(body="time.sleep(60)"))
    caplog.set_level(logging.INFO, logger="crawler.schedule.tick")
    runner = tick.TickRunner(timedelta(seconds=60), timedelta(seconds=2), keep=True)
    out: list[tick.TickResult] = []
    worker = threading.Thread(target=lambda: out.append(runner.run("test", ["a"])))
    worker.start()
    deadline = time.monotonic() + 10
    while not _pids(caplog) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    runner.stop()
    worker.join(10)
    assert out and out[0].outcome == "stopped"
    assert _gone(_pids(caplog)[0])
    assert runner.run("test", ["a"]).outcome == "skipped"


def test_a_kept_crawl_is_replaced_after_recycle_after_ticks(monkeypatch: pytest.MonkeyPatch,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    _fake_server(monkeypatch, SERVE.format(body="pass"))
    monkeypatch.setattr(tick, "RECYCLE_AFTER", 2)
    caplog.set_level(logging.INFO, logger="crawler.schedule.tick")
    runner = tick.TickRunner(timedelta(seconds=30), timedelta(seconds=2), keep=True)
    try:
        assert [runner.run("test", ["a"]).outcome for _ in range(3)] == ["ok"] * 3
        first, second = _pids(caplog)
        assert _gone(first) and not _gone(second)
    finally:
        runner.close()


def test_the_kept_process_answers_every_request_even_with_the_database_away(home: Path, tmp_path: Path) -> None:
    """A tick waits for its answer: a store that cannot be reached is answered at once, in one
    line naming it, and the process goes on serving (the next tick finds the store back)."""
    registry = tmp_path / "outlets.toml"
    registry.write_text('[[outlet]]\nid = "one"\nname = "하나"\nregion = "서울"\nhome = "http://127.0.0.1:9/"\n',
                        encoding="utf-8")
    env = cli_env(home, registry, NEWSWATCH_DB_URL="postgresql+psycopg://newswatch@127.0.0.1:9/none")
    proc = subprocess.Popen([sys.executable, "-m", "crawler.commands.crawlserve"], env=env, cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        for _ in range(2):
            proc.stdin.write(json.dumps({"argv": ["-q", "one"]}) + "\n")
            proc.stdin.flush()
            answer = json.loads(proc.stdout.readline())
            assert answer["returncode"] == 2 and "127.0.0.1:9" in answer["error"], answer
        proc.stdin.close()
        assert proc.wait(30) == 0  # end of input: it exits
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()


def test_a_kept_crawl_stores_a_morning_tick_inline_and_starts_worker_processes_only_for_a_backlog(
        tmp_path: Path) -> None:
    """Worker processes live as long as their crawl: in the kept process a tick of a few hundred
    new articles (a 3,000-outlet morning) stores them inline instead of starting two more
    processes (~320 MB, 2 s of CPU) every tick; a request's own -s NEWSWATCH_POOLS_AFTER wins."""
    from twisted.internet import defer

    from crawler.commands.crawlserve import KEPT_POOLS_AFTER, Server
    from crawler.crawl.context import POOLS_AFTER, CrawlContext

    crawlers: list[object] = []

    class Process:  # what Server needs of a CrawlerProcess: a crawl that is under way
        def crawl(self, crawler: object, **_: object) -> defer.Deferred[None]:
            crawlers.append(crawler)
            return defer.Deferred()

    server = Server(Process(), io.StringIO())
    db_url = f"sqlite:///{tmp_path / 'none.db'}"
    server.start(["one"], {"NEWSWATCH_DB_URL": db_url})
    server.busy = False
    server.start(["one"], {"NEWSWATCH_DB_URL": db_url, "NEWSWATCH_POOLS_AFTER": "5"})
    tick_ctx, own_ctx = (CrawlContext.of(c) for c in crawlers)  # type: ignore[arg-type]
    assert KEPT_POOLS_AFTER > 2 * POOLS_AFTER
    tick_ctx.start_workers(2 * POOLS_AFTER)
    assert not tick_ctx.cpu.started and "db" not in tick_ctx.__dict__  # nothing started, nothing opened
    assert tick_ctx.pools_after == KEPT_POOLS_AFTER and own_ctx.pools_after == 5
