"""Scale-out on this machine's real Redis and PostgreSQL: `newswatch crawl` only enqueues,
two `newswatch worker` processes crawl 20 outlets × 50 articles; one is SIGKILLed mid-crawl.

Every article must be stored exactly once and none missed; the share of articles fetched twice
(from the site server's request log) is printed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from crawler.demosites import SiteServer, scale_outlets
from crawler.store.models import Article, OutletRun, Run
from tests.support.cli import FAST, cli_env, newswatch
from tests.support.db import reset_pg
from tests.support.env import ROOT
from tests.support.sites import DemoSites, StartSites

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

OUTLETS, ARTICLES = 20, 50
# local sites answer in microseconds: AutoThrottle would read a busy CPU as a slow server
LOCAL = ["-s", "AUTOTHROTTLE_MAX_DELAY=0.2"]


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    import redis

    prefix = f"nwtest-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


@pytest.fixture
def pg_url(pg_server: str) -> str:
    reset_pg(pg_server)
    from crawler.store import Database

    Database.open(pg_server).close()  # migrate once, before two workers start
    return pg_server


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "crawler.cli", "worker", *FAST, *LOCAL], env=env, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _article_gets(log: Path) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for line in log.read_text().splitlines():
        rec = json.loads(line)
        if "articleView" in rec["path"] and rec["status"] == 200:
            counts[(rec["outlet"], rec["path"])] += 1
    return counts


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def _quiet(log: Path, queue_len: Callable[[], int], seconds: float = 3.0) -> Callable[[], bool]:
    """True once the queue is empty and the server has seen no request for `seconds`."""
    def check() -> bool:
        return queue_len() == 0 and time.time() - log.stat().st_mtime > seconds
    return check


def conn_rows(engine: object, sql: str) -> list[tuple]:
    from sqlalchemy import text

    with engine.connect() as conn:  # type: ignore[attr-defined]
        return [tuple(r) for r in conn.execute(text(sql))]


def _diagnose(engine: object, sites: SiteServer, client: object, prefix: str, tmp_path: Path) -> str:
    """What is missing, per outlet, with the Redis ledger and the workers' log tails."""
    with engine.connect() as conn:  # type: ignore[attr-defined]
        urls = {u for (u,) in conn.execute(select(Article.url))}
    missing: Counter[str] = Counter(a.outlet for a in sites.articles
                                    if not a.robots_blocked and sites.article_url(a) not in urls)
    lines = [f"missing per outlet: {dict(missing)}",
             f"incomplete: {sorted(r[0] for r in conn_rows(engine, 'SELECT outlet_id FROM incomplete_outlets'))}",
             f"queue: {client.zcard(f'{prefix}:requests')}"]  # type: ignore[attr-defined]
    for key in sorted(client.scan_iter(f"{prefix}:ledger:*")):  # type: ignore[attr-defined]
        if any(f":{oid}:" in key.decode() for oid in missing):
            lines.append(f"{key.decode()}: {client.scard(key)}")  # type: ignore[attr-defined]
    for name in ("worker-a.log", "worker-b.log"):
        lines.append(f"--- {name}\n" + (tmp_path / name).read_text(errors="replace")[-4000:])
    return "\n".join(lines)


def test_two_workers_store_every_article_once_despite_a_kill(
    sites: StartSites, tmp_path: Path, home: Path, pg_url: str, redis_url: str, redis_prefix: str,
) -> None:
    server = sites(scale_outlets(OUTLETS, ARTICLES))
    import redis

    client = redis.Redis.from_url(redis_url)
    queue_key = f"{redis_prefix}:requests"
    env = cli_env(home, server.registry, NEWSWATCH_DB_URL=pg_url, NEWSWATCH_REDIS_URL=redis_url,
                  NEWSWATCH_REDIS_PREFIX=redis_prefix)
    engine = create_engine(pg_url)

    def stored() -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Article)).scalar_one())
    site_log = tmp_path / "requests.log"
    t0 = time.monotonic()

    enq = newswatch("crawl", "--all", env=env)
    assert enq.returncode == 0, enq.stderr[-3000:]
    assert client.zcard(queue_key) == OUTLETS, "one feed request per outlet, nothing crawled by the enqueuer"
    assert not site_log.exists() or not _article_gets(site_log)

    victim = _start_worker(env, tmp_path / "worker-a.log")
    survivor = _start_worker(env, tmp_path / "worker-b.log")
    try:
        _wait(lambda: site_log.exists() and sum(_article_gets(site_log).values()) >= 200, 60,
              "the workers to fetch 200 articles")
        os.killpg(victim.pid, signal.SIGKILL)  # the worker and its CPU pool: a machine lost
        victim.wait(timeout=10)
        killed_at = stored()
        _wait(_quiet(site_log, lambda: client.zcard(queue_key)), 120, "the survivor to drain the queue")
        after_kill = stored()

        # the next tick: the feeds are read again and what is not stored is requested again
        again = newswatch("crawl", "--all", env=env)
        assert again.returncode == 0, again.stderr[-3000:]
        try:
            _wait(lambda: stored() >= OUTLETS * ARTICLES, 120, "every article to be stored")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{_diagnose(engine, server, client, redis_prefix, tmp_path)}") from None
        _wait(_quiet(site_log, lambda: client.zcard(queue_key)), 30, "the survivor to go idle")

        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(timeout=60) == 0, (tmp_path / "worker-b.log").read_text()[-3000:]
        _wait(lambda: not _group_alive(survivor.pid), 20, "the stopped worker's CPU pool to exit")
    finally:
        engine.dispose()
        for proc in (victim, survivor):
            if _group_alive(proc.pid):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    served = {server.article_url(a) for a in server.articles if not a.robots_blocked}
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        urls = [u for (u,) in conn.execute(select(Article.url))]
        keys = [k for (k,) in conn.execute(select(Article.url_key))]
        runs = conn.execute(select(Run.kind, Run.status, Run.finish_reason)).all()
        outlet_rows = conn.execute(select(func.count()).select_from(OutletRun)).scalar_one()
        running = conn.execute(text("select count(*) from runs where status = 'running'")).scalar_one()
    engine.dispose()
    assert len(urls) == len(served) == OUTLETS * ARTICLES
    assert set(urls) == served, "every served article stored, nothing else"
    assert len(set(keys)) == len(keys), "URL keys unique: every article stored exactly once"
    assert sum(1 for r in runs if r.kind == "enqueue") == 2
    assert any(r.kind == "crawl" and r.status == "finished" for r in runs), "worker periods recorded"
    assert outlet_rows >= OUTLETS
    assert running <= 1, "only the killed worker's run may be left open (closed by the next start on this host)"

    gets = _article_gets(site_log)
    twice = sum(1 for n in gets.values() if n > 1)
    share = twice / len(served)
    report = (f"scale-out: {len(served)} articles stored once; fetched twice: {twice} ({share:.1%}); "
              f"stored when killed {killed_at}, after the survivor drained {after_kill}; "
              f"wall {time.monotonic() - t0:.1f}s")
    print(report)
    (tmp_path / "report.txt").write_text(report)
    assert share < 0.2, report


def test_requests_round_trip_through_redis_and_the_filter_is_per_tick(
    sites: StartSites, tmp_path: Path, home: Path, redis_url: str, redis_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In-process: scrapy-redis pickles our requests (callbacks by name, an Entry in meta) and the
    duplicate filter lets a URL through again in the next tick. Also exercises the pyproject
    filters for scrapy-redis's own deprecation warnings (warnings are errors here)."""
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy_redis.scheduler import Scheduler

    from crawler.crawl.scaleout import _offline_crawler
    from crawler.crawl.worker import worker_settings
    from crawler.extract.discovery import Entry
    from spiders.worker import WorkerSpider

    server = sites(scale_outlets(2, 3))
    _in_process_worker_env(server, home, redis_url, redis_prefix, monkeypatch)
    crawler = _offline_crawler(WorkerSpider, worker_settings(), MemoryStatsCollector)
    spider = WorkerSpider.from_crawler(crawler, tick="t1")
    scheduler = Scheduler.from_crawler(crawler)
    scheduler.open(spider)
    try:
        outlet = spider.outlets[0]
        entry = Entry(url=server.urls[outlet.id] + "news/articleView.html?idxno=1", title="제목", modified="x")
        article = _article(spider, outlet, entry)
        assert scheduler.enqueue_request(article)
        assert not scheduler.enqueue_request(_article(spider, outlet, entry)), "same tick: filtered"
        popped = scheduler.next_request()
        assert popped is not None and popped.url == entry.url
        assert popped.callback == spider.parse_article and popped.errback == spider.on_error
        assert popped.meta["entry"] == entry and popped.meta["download_slot"] == outlet.id
        spider.tick = "t2"
        assert scheduler.enqueue_request(_article(spider, outlet, entry)), "next tick: fetched again"
        feed = spider.discovery_requests(outlet)[0]
        assert scheduler.enqueue_request(feed) and scheduler.enqueue_request(feed), "discovery is never filtered"
        # the queue is a sorted set: a byte-identical request pending twice is one member
        assert len(scheduler) == 2
    finally:
        scheduler.close("finished")
        spider.ctx.close()


def _in_process_worker_env(server: DemoSites, home: Path, redis_url: str, redis_prefix: str,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment a worker spider built in this process reads: the sites' registry, Redis, a SQLite store."""
    for key, value in {"NEWSWATCH_OUTLETS_FILE": str(server.registry), "NEWSWATCH_REDIS_URL": redis_url,
                       "NEWSWATCH_REDIS_PREFIX": redis_prefix,
                       "NEWSWATCH_DB_URL": f"sqlite:///{home / 'newswatch.db'}"}.items():
        monkeypatch.setenv(key, value)


def _article(spider: object, outlet: object, entry: object) -> object:
    """The article request the spider builds for a new entry (found-new state reset per call: this
    worker's, and the tick's shared ledger, where another worker's request would be found)."""
    from crawler.crawl.queue import ledger_key
    from spiders.navigators import navigator_for

    spider.ctx.discovered.clear()  # type: ignore[attr-defined]
    server = getattr(spider, "_server", None)
    if server is not None:
        server.delete(ledger_key(spider.tick, outlet.id, "wanted"))  # type: ignore[attr-defined]
    requests, _ = spider.article_requests(outlet, navigator_for(outlet), [entry])  # type: ignore[attr-defined]
    assert len(requests) == 1
    return requests[0]


def test_a_list_page_lost_with_a_worker_makes_the_next_enqueue_read_the_lists_deep(
    sites: StartSites, tmp_path: Path, home: Path, redis_url: str, redis_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The enqueuer itself reads the shared ledger of an outlet's last tick (articles wanted but
    not stored, list pages wanted but never read): it does not wait for a worker to go idle and
    mark the outlet incomplete, which may happen only after the next tick."""
    import urllib.request

    import redis
    from scrapy.http import TextResponse
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy_redis import picklecompat
    from scrapy_redis.queue import PriorityQueue

    from crawler.crawl.queue import keys
    from crawler.crawl.scaleout import _offline_crawler, enqueue, unfinished
    from crawler.crawl.worker import worker_settings
    from crawler.store import crawlstate
    from spiders.worker import WorkerSpider

    server = sites(scale_outlets(1, 50))
    _in_process_worker_env(server, home, redis_url, redis_prefix, monkeypatch)
    client = redis.Redis.from_url(redis_url)
    crawler = _offline_crawler(WorkerSpider, worker_settings(), MemoryStatsCollector)
    spider = WorkerSpider.from_crawler(crawler)
    queue = PriorityQueue(server=client, spider=spider, key=keys()["queue"], serializer=picklecompat)
    try:
        assert enqueue(["bench001"]) == {"bench001": 1}, "a first tick: the feed only"
        tick = client.hget(keys()["ticks"], "bench001").decode()
        feed = queue.pop()
        assert feed.meta["kind"] == "feed" and feed.meta["nw_tick"] == tick
        body = urllib.request.urlopen(feed.url, timeout=10).read()
        out = list(spider.parse_feed(TextResponse(feed.url, body=body, request=feed)))
        articles = [r for r in out if r.meta["kind"] == "article"]
        lists = [r for r in out if r.meta["kind"] == "list"]
        assert len(articles) == 20 and len(lists) == 1, "an all-new feed: its articles, and the list to reach back"
        # a worker pops the list page and dies with it; the feed's articles are not stored either
        assert unfinished(client, spider.ctx.db, tick, "bench001") == 20 + 1

        # the store records the outlet incomplete (the same record `newswatch crawl` keeps), and
        # the next tick's discovery reads it deep: the feed without validators, then its lists
        assert enqueue(["bench001"]) == {"bench001": 1}, "the next tick: the feed, read deep"
        assert "bench001" in crawlstate.incomplete_outlets(spider.ctx.db)
        feed2 = queue.pop()
        assert feed2.meta["kind"] == "feed" and feed2.meta.get("deep")
        assert b"If-None-Match" not in feed2.headers and b"If-Modified-Since" not in feed2.headers
        body = urllib.request.urlopen(feed2.url, timeout=10).read()
        out = list(spider.parse_feed(TextResponse(feed2.url, body=body, request=feed2)))
        deep = [r for r in out if r.meta["kind"] == "list"]
        assert len(deep) == 1 and deep[0].meta.get("deep") == feed2.meta["deep"]

        # a tick whose worker died before reading the feed left nothing to finish: the next
        # tick's feed read is all it takes
        tick2 = client.hget(keys()["ticks"], "bench001").decode()
        client.delete(*client.keys(f"{keys()['ledger']}:{tick2}:*"))
        assert unfinished(client, spider.ctx.db, tick2, "bench001") == 0
        assert enqueue(["bench001"]) == {"bench001": 1}
    finally:
        spider.ctx.close()
        client.close()


def test_a_list_page_read_after_another_worker_stored_the_feed_articles_still_pages_on(
    sites: StartSites, tmp_path: Path, home: Path, redis_url: str, redis_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Worker A reads an all-new feed; its 20 articles are stored; worker B then reads the list page
    the feed asked for. The page lists only those 20, but they are new in this tick (A wanted them):
    B must page on to the older articles, and must not ask for A's articles again. (Counted per
    worker, the page looked old and paging stopped: in CI, 30 of 50 articles of four outlets were
    never requested.)"""
    import urllib.request
    from datetime import UTC, datetime, timedelta

    import redis
    from scrapy.http import TextResponse
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy_redis import picklecompat
    from scrapy_redis.queue import PriorityQueue

    from crawler.alert.onstore import AlertsOnStore
    from crawler.alert.recipients import load_recipients
    from crawler.crawl.cpu import story_signature
    from crawler.crawl.queue import keys
    from crawler.crawl.scaleout import _offline_crawler, enqueue
    from crawler.crawl.worker import worker_settings
    from crawler.crawl.writer import WriterState, store
    from crawler.extract.cleanup import clean_record
    from crawler.families import ID_RULES
    from crawler.store.ingest import StoryCache
    from crawler.types import ArticleRecord, Extracted
    from spiders.worker import WorkerSpider

    server = sites(scale_outlets(1, 50))
    _in_process_worker_env(server, home, redis_url, redis_prefix, monkeypatch)
    client = redis.Redis.from_url(redis_url)
    a, b = (WorkerSpider.from_crawler(_offline_crawler(WorkerSpider, worker_settings(), MemoryStatsCollector))
            for _ in range(2))
    queue = PriorityQueue(server=client, spider=a, key=keys()["queue"], serializer=picklecompat)
    try:
        assert enqueue(["bench001"]) == {"bench001": 1}
        feed = queue.pop()
        body = urllib.request.urlopen(feed.url, timeout=10).read()
        out = list(a.parse_feed(TextResponse(feed.url, body=body, request=feed)))
        articles = [r for r in out if r.meta["kind"] == "article"]
        lists = [r for r in out if r.meta["kind"] == "list"]
        assert len(articles) == 20 and len(lists) == 1

        state = WriterState(a.ctx.db, AlertsOnStore(load_recipients()), False, StoryCache())
        for n, request in enumerate(articles):
            ex = Extracted(title=f"벤치 기사 {n}번 제목", body=f"본문 {n}번 문장입니다.\n둘째 문장 {n}.",
                           published_at=datetime.now(UTC) - timedelta(hours=1))
            rec = clean_record(ArticleRecord(
                outlet_id="bench001", url=request.url, request_url=request.url, family="ndsoft", extracted=ex,
                fetched_at=datetime.now(UTC)), server.urls["bench001"], id_rules=ID_RULES)
            rec.signature, rec.story_features = story_signature(ex.title or "", rec.extracted.body)
            assert store(state, rec).status == "new"

        page = lists[0]
        body = urllib.request.urlopen(page.url, timeout=10).read()
        out_b = list(b.parse_list(TextResponse(page.url, body=body, request=page)))
        assert [r.meta["page"] for r in out_b if r.meta["kind"] == "list"] == [2], "paging goes on"
        assert not [r for r in out_b if r.meta["kind"] == "article"], "A's articles are not asked for twice"
    finally:
        a.ctx.close()
        b.ctx.close()
        client.close()
