"""CPU-heavy, pure steps of the flow run in worker processes while Scrapy's process keeps downloading.

Scrapy uses one core; extraction, MinHash signatures and matching are pure functions of their
input, so a small process pool (NEWSWATCH_CPU_WORKERS, default: the other cores, at most 4) runs
them in parallel. With 0 workers they run inline, and so they do until a crawl has asked for enough
articles to pay for starting the processes (CrawlContext.start_workers). Normalisation always runs inline: it costs less
than sending the article to a worker and back. ProcessPool are spawned (never forked from the
reactor's process) and build the watchlist matchers once; calls reach them through
`crawler.crawl.channel` (not `ProcessPoolExecutor`, whose per-call cost fell on Scrapy's core).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from crawler.config import settings
from crawler.crawl.channel import ProcessPool
from crawler.dedupe.stories import features, signature
from crawler.extract.cleanup import clean_record
from crawler.families import ID_RULES, extract
from crawler.match import Matcher, load_watchlists
from crawler.types import ArticleRecord, Extracted, MatchResult

T = TypeVar("T")
_MATCHERS: dict[str, Any] = {}  # per worker process, built by _init_worker (never in the crawl process)


def default_workers() -> int:
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def workers_from_env() -> int | None:
    """NEWSWATCH_CPU_WORKERS: None when unset (`default_workers()`), else a whole number >= 0."""
    return settings().cpu_workers


def _init_worker(watchlists_dir: str) -> None:
    # the modules of every step, imported now (before the first page arrives) rather than on
    # each step's first call: 0.4 s of a fresh worker's start

    _MATCHERS.update({wid: Matcher(w) for wid, w in load_watchlists(Path(watchlists_dir)).items()})
    story_signature("준비", "준비")  # builds the MinHash tables (0.17 s) before the first article needs them


def extract_page(body: bytes, url: str, family: str, charset: str | None) -> Extracted:
    return extract(body, url, family=family, charset=charset)


def story_signature(title: str, body: str) -> tuple[list[int], Any]:
    """The MinHash signature and the `Features` the story check compares (built from one cleaning
    of the text, here rather than in the process that stores)."""
    feats = features(title, body)
    return signature(feats.text), feats


def match_all(title: str, body: str, subtitle: str, matchers: dict[str, Any] | None = None) -> list[MatchResult]:
    return [m.match(title, body, subtitle) for m in (matchers if matchers is not None else _MATCHERS).values()]


class CpuPool:
    """Runs the pure steps in worker processes once started (inline before that, and with 0 workers)."""

    def __init__(self, workers: int, watchlists_dir: Path, matchers: Callable[[], dict[str, Any]], *,
                 start: bool = True) -> None:
        self.workers = workers
        self._watchlists_dir = watchlists_dir
        self._matchers = matchers  # inline matching uses the crawl context's matchers
        self._pool: ProcessPool | None = None
        self._closed = False
        if start:
            self.start()

    @property
    def started(self) -> bool:
        return self._pool is not None

    def start(self) -> None:
        """Spawn the worker processes (idempotent; nothing with 0 workers or once closed)."""
        if self.workers > 0 and self._pool is None and not self._closed:
            self._pool = ProcessPool(self.workers, name="cpu", initializer=_init_worker,
                                     initargs=(str(self._watchlists_dir),))

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._pool is None:
            return fn(*args)
        return await self._pool.call(fn, *args)

    async def extract(self, body: bytes, url: str, family: str, charset: str | None) -> Extracted:
        return await self._run(extract_page, body, url, family, charset)

    async def clean(self, rec: ArticleRecord, home: str | None) -> ArticleRecord:
        """Clean text and URL keys (crawler.extract.cleanup); raises its `Rejected` for a non-article.

        Run here, not in a pool process: ~0.2 ms an article, less than the round trip of the record.
        """
        return clean_record(rec, home, id_rules=ID_RULES)

    async def signature(self, title: str, body: str) -> tuple[list[int], Any]:
        return await self._run(story_signature, title, body)

    async def match(self, title: str, body: str, subtitle: str) -> list[MatchResult]:
        if self._pool is None:
            return match_all(title, body, subtitle, self._matchers())
        return await self._run(match_all, title, body, subtitle)

    def close(self) -> None:
        self._closed = True
        if self._pool is not None:
            self._pool.close(timeout=30)
            self._pool = None
