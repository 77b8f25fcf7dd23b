"""The store step in a process of its own: one writer per crawl.

Storing an article (its version, story, matches and alerts in one transaction) was most of what
the crawl process spent per article: ORM work, the story lookup, the commit. Run in Scrapy's
process it took the core Scrapy needs for downloading and parsing. Here one spawned process owns
the article writes (NEWSWATCH_CPU_WORKERS > 0; with 0 it all runs inline): the store pipeline
sends it the `ArticleRecord` and awaits the outcome, so Scrapy keeps downloading while it writes.
One writer serialises the crawl's article transactions, as the synchronous pipeline did, and the
story cache lives with it. Articles that arrive while it is busy go into its next transaction
together (each with its matches and alerts, so the outbox still holds); a batch that fails is
retried one article per transaction, so only the bad article fails. Reads (stored keys,
validators, the unchanged check) stay in Scrapy's process: one indexed query each.

Errors cross the process boundary as `StoreFailed` with the original type and message (some
driver exceptions do not survive pickling, and an unpicklable one would break the pool). Until its
article's transaction committed, the Scrapy item is not finished: a crawl ends with nothing
half-stored.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crawler.crawl.channel import ProcessPool
from crawler.store.db import Database
from crawler.store.ingest import IngestHooks, IngestResult, StoryCache, ingest
from crawler.store.watchdog import watch

if TYPE_CHECKING:
    from crawler.store.db import Database
    from crawler.types import ArticleRecord


BATCH = 32  # articles per writer transaction at most


class StoreFailed(RuntimeError):
    """Storing failed in the writer process; the message names the original error."""


@dataclass
class WriterState:
    db: Database
    hooks: IngestHooks
    seed: bool
    stories: StoryCache


_STATE: WriterState | None = None  # the writer process's own (never set in Scrapy's process)


def _open(db_url: str, seed: bool) -> WriterState:
    # start-up time: the alerting stack (Jinja, holidays) loads in the writer process, not in Scrapy's
    from crawler.alert.onstore import AlertsOnStore
    from crawler.alert.recipients import load_recipients

    # the crawl's process migrated the schema before the writer started
    return WriterState(Database.open(db_url, migrate_schema=False), AlertsOnStore(load_recipients()), seed,
                       StoryCache())


def _init_writer(db_url: str, seed: bool) -> None:
    global _STATE
    _STATE = _open(db_url, seed)

    # a paused database would hold the batch for ever: the writer ends and its articles fail
    watch(_STATE.db.engine, what="crawl writer")


def store(state: WriterState, rec: ArticleRecord) -> IngestResult:
    with state.db.session() as s:
        return ingest(s, rec, hooks=state.hooks, seed=state.seed, cache=state.stories)


def store_batch(state: WriterState, recs: list[ArticleRecord]) -> list[IngestResult | StoreFailed]:
    """Store the articles in one transaction (each still with its matches and alerts: the outbox
    holds); if any fails, again one transaction each, so only the bad one fails. A failure is
    returned in its place, not raised. The story cache is emptied after a rollback: it may hold
    stories that were never committed."""
    try:
        with state.db.session() as s:
            return [ingest(s, r, hooks=state.hooks, seed=state.seed, cache=state.stories) for r in recs]
    except Exception:  # noqa: BLE001 - retried one by one below
        state.stories.clear()
    out: list[IngestResult | StoreFailed] = []
    for rec in recs:
        try:
            out.append(store(state, rec))
        except Exception as exc:  # noqa: BLE001 - reported for this article only
            state.stories.clear()
            out.append(StoreFailed(f"{type(exc).__name__}: {exc}"))
    return out


def _remote_batch(recs: list[ArticleRecord]) -> list[IngestResult | StoreFailed]:
    assert _STATE is not None, "the writer process was not initialised"
    try:
        return store_batch(_STATE, recs)
    except Exception as exc:  # noqa: BLE001 - as a type every process can unpickle
        return [StoreFailed(f"{type(exc).__name__}: {exc}")] * len(recs)


class StoreWriter:
    """Article writes in one writer process (`process=True`, or after `to_process()`) or inline in the caller's."""

    def __init__(self, db_url: str, *, seed: bool, process: bool,
                 inline: Callable[[], WriterState] | None = None) -> None:
        """`inline` builds the state when there is no process (the crawl context's database and
        recipients, so nothing is opened twice)."""
        self._db_url, self._seed = db_url, seed
        self._pool: ProcessPool | None = None
        self._make_inline = inline
        self._inline: WriterState | None = None
        self._waiting: list[tuple[ArticleRecord, asyncio.Future[IngestResult]]] = []
        self._busy = False
        self._closed = False
        if process:
            self.to_process()

    def to_process(self) -> None:
        """From now on store in a writer process (idempotent). What was stored inline is committed
        already (an inline store returns once its transaction did), so nothing is written twice."""
        if self._pool is None and not self._closed:
            self._pool = ProcessPool(1, name="writer", initializer=_init_writer, initargs=(self._db_url, self._seed))

    async def store(self, rec: ArticleRecord) -> IngestResult:
        """Store one article; resolved when its transaction committed (or raises `StoreFailed`).

        Articles arriving while the writer is busy go together in its next transaction (at most
        BATCH): one commit for several articles is most of what the writer saves."""
        if self._pool is None:
            if self._inline is None:
                self._inline = self._make_inline() if self._make_inline is not None else _open(self._db_url, self._seed)
            try:
                return store(self._inline, rec)
            except Exception as exc:  # noqa: BLE001 - the same error type as with a process
                raise StoreFailed(f"{type(exc).__name__}: {exc}") from exc
        future: asyncio.Future[IngestResult] = asyncio.get_running_loop().create_future()
        self._waiting.append((rec, future))
        if not self._busy:
            self._send()
        return await future

    def _send(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
            try:
                assert self._pool is not None, "the writer is closed"
                done = asyncio.ensure_future(self._pool.call(_remote_batch, [rec for rec, _ in batch]))
            except Exception as exc:  # noqa: BLE001 - a dead writer process: these articles fail, not hang
                for _rec, future in batch:
                    if not future.done():
                        future.set_exception(StoreFailed(f"the writer process is gone ({type(exc).__name__}: {exc})"))
                continue
            self._busy = True
            done.add_done_callback(functools.partial(self._settle, batch))
            return
        self._busy = False

    def _settle(self, batch: list[tuple[ArticleRecord, asyncio.Future[IngestResult]]],
                done: asyncio.Future[list[IngestResult | StoreFailed]]) -> None:
        exc = done.exception() if not done.cancelled() else StoreFailed("the writer was stopped")
        results: list[IngestResult | StoreFailed] = (
            [StoreFailed(f"{type(exc).__name__}: {exc}")] * len(batch) if exc else done.result())
        for (_rec, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, StoreFailed):
                future.set_exception(result)
            else:
                future.set_result(result)
        self._send()

    def close(self) -> None:
        """Wait for the writes under way (nothing is lost), then end the process."""
        self._closed = True
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        self._inline = None  # its database is the crawl context's, closed with it
