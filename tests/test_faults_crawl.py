"""Crawls cut short (issue 16): real `newswatch crawl` processes on the scaled sites, real signals
at a seeded random point (printed: rerun one with NEWSWATCH_FAULT_SEED), then recovery as an
operator or the scheduler would do it. Every article stored exactly once, every matching story
alerted exactly once, and the run records say what happened."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
from pathlib import Path

import pytest

from bench.faults import Sites, cli_env, crawl_args, interrupted_crawl, newswatch, tally

OUTLETS, ARTICLES = 4, 30  # 120 articles: a crawl of a few seconds, lists of several pages


def _seed() -> int:
    seed = int(os.environ.get("NEWSWATCH_FAULT_SEED", "") or random.randrange(1, 10**6))
    print(f"NEWSWATCH_FAULT_SEED={seed}")
    return seed


def _rows(db: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _assert_nothing_lost(db: Path, served: int) -> None:
    t = tally(db)
    assert t.articles == served, f"{served - t.articles} of {served} articles never stored"
    assert _rows(db, "SELECT count(DISTINCT url) FROM articles") == [(served,)], "an article stored twice"
    assert t.matched_stories > 0 and t.alerted_stories == t.matched_stories, t
    assert t.duplicate_alerts == 0
    assert _rows(db, "SELECT outlet_id, reason FROM incomplete_outlets") == []


@pytest.fixture
def sites(tmp_path: Path):
    with Sites(OUTLETS, ARTICLES, tmp_path) as s:
        yield s


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill9", "sigterm"])
def test_interrupted_crawl_is_resumed_by_the_next_one(sites: Sites, tmp_path: Path, sig: int) -> None:
    rng = random.Random(_seed())
    at = int(sites.served * rng.uniform(0.15, 0.75))
    print(f"{signal.Signals(sig).name} at {at} of {sites.served} stored")
    home = tmp_path / "home"
    env = cli_env(home, sites.registry)
    db = home / "newswatch.db"
    interrupted_crawl(env, db, at, sig, "--all")
    assert tally(db).articles < sites.served, "the crawl ended before the fault: nothing was tested"
    cut = _rows(db, "SELECT outlet_id, interrupted FROM incomplete_outlets")
    assert cut and all(flag for _, flag in cut), "the cut-short run left its outlets incomplete"

    # the operator (or the next scheduler tick) runs the due outlets: the cut-short ones are due
    result = newswatch(env, *crawl_args())
    assert result.returncode == 0, result.stdout + result.stderr
    _assert_nothing_lost(db, sites.served)

    runs = _rows(db, "SELECT status, finish_reason FROM runs WHERE kind = 'crawl' ORDER BY id")
    assert runs[-1] == ("finished", "finished")
    first = runs[0]
    assert first[0] == "aborted"
    if sig == signal.SIGKILL:  # closed by the next process, with the reason
        assert first[1] == "process ended without closing the run"
    else:
        assert first[1] == "shutdown"
        reasons = _rows(db, "SELECT finish_reason FROM outlet_runs WHERE run_id = 1")
        assert reasons and all("incomplete" in r for (r,) in reasons)

    if sig == signal.SIGKILL:  # a further run finds nothing new and is clean
        again = newswatch(env, *crawl_args("--all"))
        assert again.returncode == 0 and tally(db).articles == sites.served


def test_article_redirecting_to_itself_is_an_outlet_error(tmp_path: Path) -> None:
    """Scrapy's duplicate filter drops the redirect back to the same URL; that is lost work, not
    a duplicate: an outlet error with the reason, the outlet incomplete, exit 1, status shows it."""
    with Sites(2, 12, tmp_path, faults=["bench001=redirect-loop"]) as sites:
        home = tmp_path / "home"
        env = cli_env(home, sites.registry)
        result = newswatch(env, *crawl_args("--all"))
        db = home / "newswatch.db"
        assert result.returncode == 1, result.stdout + result.stderr
        (errors, stats_json, reason), = _rows(
            db, "SELECT errors, stats, finish_reason FROM outlet_runs WHERE outlet_id = 'bench001'")
        assert errors >= 12 and "redirect_loop" in stats_json and "incomplete" in reason
        assert _rows(db, "SELECT outlet_id FROM incomplete_outlets") == [("bench001",)]
        status = newswatch(env, "status")
        assert status.returncode != 0 and "bench001: incomplete" in status.stdout + status.stderr
        clean = _rows(db, "SELECT errors FROM outlet_runs WHERE outlet_id = 'bench002'")
        assert clean == [(0,)]


def test_one_past_the_last_list_page_ends_paging_quietly(tmp_path: Path) -> None:
    """Past its last page one list answers 404, another repeats its last page: both end paging
    without an outlet error, so a cron line does not mail every tick (a first crawl pages to the end)."""
    with Sites(2, 45, tmp_path, faults=["bench001=list-end-404", "bench002=list-end-repeat"]) as sites:
        home = tmp_path / "home"
        env = cli_env(home, sites.registry)
        result = newswatch(env, *crawl_args("--all", "-s", "NEWSWATCH_MAX_LIST_PAGES=50"))
        assert result.returncode == 0, result.stdout + result.stderr
        db = home / "newswatch.db"
        assert tally(db).articles == sites.served
        assert _rows(db, "SELECT sum(errors) FROM outlet_runs") == [(0,)]
        stats = dict(_rows(db, "SELECT outlet_id, stats FROM outlet_runs"))
        assert "list/past_last_page" in stats["bench001"] and "list/repeated_page" in stats["bench002"]


def test_scheduler_stopped_mid_tick_resumes_the_tick_after_restart(sites: Sites, tmp_path: Path) -> None:
    """SIGTERM to `newswatch schedule` while its tick crawls: the tick's crawl closes as aborted,
    its outlets stay incomplete (no validators saved), and the restarted scheduler's first tick
    takes them up again at once — nothing is lost."""
    import subprocess
    import sys
    import time

    from bench.faults import FAST, stored_articles
    from crawler import paths

    seed = _seed()
    at = int(sites.served * random.Random(seed).uniform(0.15, 0.6))
    print(f"SIGTERM to the scheduler at {at} of {sites.served} stored")
    home = tmp_path / "home"
    db = home / "newswatch.db"
    env = cli_env(home, sites.registry, NEWSWATCH_SCHEDULE_WINDOW="always", NEWSWATCH_SCHEDULE_TICK="2s",
                  NEWSWATCH_SCHEDULE_HEARTBEAT_EVERY="1s", NEWSWATCH_SCHEDULE_CRAWL_ARGS=" ".join(FAST))

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "crawler.cli", "schedule"], env=env, cwd=paths.PROJECT_ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_for(cond, seconds: float) -> None:  # type: ignore[no-untyped-def]
        end = time.monotonic() + seconds
        while not cond():
            assert time.monotonic() < end, "timed out"
            time.sleep(0.1)

    proc = start()
    try:
        wait_for(lambda: stored_articles(db) >= at, 90)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert stored_articles(db) < sites.served, "the tick ended before the stop: nothing was tested"
    assert ("aborted", "shutdown") in _rows(db, "SELECT status, finish_reason FROM runs WHERE kind = 'crawl'")
    assert _rows(db, "SELECT count(*) FROM incomplete_outlets")[0][0] > 0

    proc = start()
    try:
        wait_for(lambda: stored_articles(db) >= sites.served
                 and not _rows(db, "SELECT 1 FROM runs WHERE kind = 'crawl' AND status = 'running'"), 90)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    _assert_nothing_lost(db, sites.served)
