"""The crawl's writer process (crawler/crawl/writer.py): batched transactions, one bad article
failing alone, nothing reported stored before it is committed, on both backends."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import func, select

from crawler.crawl.context import POOLS_AFTER, CrawlContext
from crawler.crawl.cpu import story_signature
from crawler.crawl.writer import StoreFailed, StoreWriter, WriterState, store_batch
from crawler.extract.cleanup import clean_record
from crawler.families import ID_RULES
from crawler.store.ingest import StoryCache
from crawler.store.models import Article, ArticleVersion, Story
from crawler.types import ArticleRecord, Extracted
from tests.support.aio import run_async

RECIPIENTS = """
[[recipient]]
address = "team@example.org"
watchlists = ["medical-tourism"]
mode = "immediate"
immediate_min_score = 0.0
quiet_hours = ""
"""


@pytest.fixture(autouse=True)
def recipients(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "recipients.toml"
    path.write_text(RECIPIENTS, encoding="utf-8")
    monkeypatch.setenv("NEWSWATCH_RECIPIENTS_FILE", str(path))


def record(n: int, body: str | None = None, title: str | None = None) -> ArticleRecord:
    # distinct texts (random syllables): distinct stories unless a test copies one on purpose
    rnd = random.Random(n)

    def words(k: int) -> str:
        return " ".join("".join(chr(0xAC00 + rnd.randrange(11172)) for _ in range(rnd.randint(2, 4)))
                        for _ in range(k))

    title = title or words(6)
    body = body or "\n".join(words(14) + "." for _ in range(4))
    ex = Extracted(title=title, body=body, published_at=datetime.now(UTC) - timedelta(hours=1))
    rec = clean_record(ArticleRecord(
        outlet_id="demo-busan", url=f"http://127.0.0.1:9/news/articleView.html?idxno={n}",
        request_url=f"http://127.0.0.1:9/news/articleView.html?idxno={n}", family="ndsoft", extracted=ex,
        fetched_at=datetime.now(UTC)), None, id_rules=ID_RULES)
    rec.signature, rec.story_features = story_signature(title, rec.extracted.body)
    return rec


def count(db: Any, model: Any) -> int:
    with db.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)




def state(db: Any) -> WriterState:
    from crawler.alert.onstore import AlertsOnStore
    from crawler.alert.recipients import load_recipients

    return WriterState(db, AlertsOnStore(load_recipients()), False, StoryCache())


def test_a_batch_is_stored_and_one_bad_article_fails_alone(db: Any) -> None:
    good = [record(n) for n in range(1, 4)]
    bad = record(9)
    bad.outlet_id = None  # type: ignore[assignment]  # NOT NULL: the database refuses this article
    results = store_batch(state(db), [good[0], bad, *good[1:]])
    assert [type(r).__name__ for r in results] == ["IngestResult", "StoreFailed", "IngestResult", "IngestResult"]
    assert "IntegrityError" in str(results[1])
    assert [r.status for r in results if not isinstance(r, StoreFailed)] == ["new"] * 3
    assert count(db, Article) == count(db, ArticleVersion) == 3
    # nothing of the failed article is left: no story without an article, no half-stored rows
    assert count(db, Story) == 3


def test_the_writer_process_stores_what_is_sent_while_it_is_busy(db: Any, db_url: str) -> None:
    """Articles sent at once go through the writer process in batches; each await ends when its
    article is committed; a copy in the same batch joins the first one's story."""
    recs = [record(n) for n in range(1, 41)]
    copy = record(100, body=recs[0].extracted.body, title=recs[0].extracted.title)
    writer = StoreWriter(db_url, seed=False, process=True)

    async def send_all() -> list[Any]:
        return await asyncio.gather(*(writer.store(r) for r in [*recs, copy]), return_exceptions=True)

    try:
        results = run_async(send_all)
    finally:
        writer.close()
    assert all(not isinstance(r, BaseException) for r in results), results
    assert [r.status for r in results] == ["new"] * 41
    assert results[-1].story_id == results[0].story_id
    assert count(db, Article) == 41 and count(db, Story) == 40


def test_a_crawl_stores_inline_until_it_asks_for_enough_articles_then_in_the_writer_process(
        db: Any, db_url: str, tmp_path: Path) -> None:
    """A scheduler tick that finds a few new articles starts no CPU-worker or writer process; one
    that asks for POOLS_AFTER starts both, and what was stored inline before stays stored once
    (a copy stored after the switch joins the story stored before it)."""
    crawler = get_crawler(settings_dict={"NEWSWATCH_DB_URL": db_url, "NEWSWATCH_CPU_WORKERS": "1"})
    ctx = CrawlContext.of(crawler)
    first = [record(n) for n in range(1, 4)]
    copy = record(100, body=first[0].extracted.body, title=first[0].extracted.title)
    later = [record(n) for n in range(4, 7)]

    async def store(recs: list[ArticleRecord]) -> list[Any]:
        return [await ctx.writer.store(r) for r in recs]

    try:
        ctx.start_workers(3)
        assert not ctx.cpu.started and ctx.writer._pool is None  # a small tick: all inline
        inline = run_async(lambda: store(first))
        ctx.start_workers(POOLS_AFTER - 3)
        assert ctx.cpu.started and ctx.writer._pool is not None
        ctx.start_workers(5)  # once started, more articles start nothing more
        assert len(ctx.writer._pool.processes) == 1
        pooled = run_async(lambda: store([copy, *later]))
    finally:
        ctx.close()
    assert [r.status for r in inline + pooled] == ["new"] * 7
    assert pooled[0].story_id == inline[0].story_id
    assert count(db, Article) == 7 and count(db, Story) == 6


def test_a_dead_writer_fails_the_waiting_articles_instead_of_hanging(db: Any, db_url: str) -> None:
    writer = StoreWriter(db_url, seed=False, process=True)

    async def after_the_crash() -> Any:
        assert (await writer.store(record(1))).status == "new"
        assert writer._pool is not None
        for proc in writer._pool.processes:  # the writer process dies (OOM killer, say)
            proc.kill()
        return await asyncio.wait_for(writer.store(record(2)), timeout=30)

    try:
        with pytest.raises(StoreFailed):
            run_async(after_the_crash)
    finally:
        writer.close()
    assert count(db, Article) == 1
