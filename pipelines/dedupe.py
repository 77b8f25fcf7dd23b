"""Dedupe: an unchanged stored article stops here; everything else gets its near-duplicate signature."""

from __future__ import annotations

from crawler.store import crawlstate
from crawler.store.ingest import stored_version
from crawler.types import ArticleRecord
from pipelines.base import Pipeline


class DedupePipeline(Pipeline):
    async def process_item(self, item: ArticleRecord) -> ArticleRecord:
        stored = None
        # a key requested because nothing was stored under it needs no lookup (a copy stored since
        # under the same key is still found by the store's own lookup); keys[0] is the request's
        if item.keys[0] not in self.ctx.discovered[item.outlet_id]:
            with self.ctx.db.sessions() as s:
                stored = stored_version(s, item.keys)
        if stored is not None and stored[1] == item.body_hash:
            # a revisit that found the same text: the fetch time (revisit clock) and entry move on
            crawlstate.touch_article(self.ctx.db, stored[0], fetched_at=item.fetched_at, feed_title=item.feed_title,
                              feed_modified=item.feed_modified)
            self.ctx.tally[item.outlet_id].unchanged += 1
            raise self.drop(item, "already stored, unchanged", "unchanged")
        ex = item.extracted
        item.signature, item.story_features = await self.ctx.cpu.signature(ex.title or "", ex.body)
        return item
