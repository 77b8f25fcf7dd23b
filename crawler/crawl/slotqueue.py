"""Scrapy's downloader-aware scheduling queue, without its cost per request at thousands of outlets.

`scrapy.pqueues.DownloaderAwarePriorityQueue` (Scrapy's default) keeps one priority queue per
download slot — every outlet has its own — and hands out the next request from the slot with the
fewest active downloads, round-robin among equals. It finds that slot by listing every slot's
active downloads on each `pop` and `peek`, and `len()` sums every slot's queue: O(slots) per
request. A tick over 3,000 outlets pops ~12,000 requests: 3 of an idle tick's 13 s went there
(`-s SCHEDULER_PRIORITY_QUEUE=scrapy.pqueues.ScrapyPriorityQueue` took 10 s, but hands out
requests of slots that are busy).

`SlotAwarePriorityQueue` makes the same choice in sorted slot order: the first idle slot after
the last one chosen, else the first idle slot from the start — which is what Scrapy's scan
returns whenever some slot is idle. At most CONCURRENT_REQUESTS slots are busy, so the walk ends
after a few steps; only when every queued slot is busy does it fall back to Scrapy's full scan.
The count of queued requests is kept as they come and go.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Iterable
from contextlib import suppress
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.pqueues import DownloaderAwarePriorityQueue, _path_safe

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.pqueues import QueueProtocol


class SlotAwarePriorityQueue(DownloaderAwarePriorityQueue):
    """DownloaderAwarePriorityQueue's order at a cost per request that does not grow with slots."""

    def __init__(
        self,
        crawler: Crawler,
        downstream_queue_cls: type[QueueProtocol],
        key: str,
        slot_startprios: dict[str, Iterable[int]] | None = None,
        *,
        start_queue_cls: type[QueueProtocol] | None = None,
    ):
        super().__init__(crawler, downstream_queue_cls, key, slot_startprios, start_queue_cls=start_queue_cls)
        self._order: list[str] = sorted(self.pqueues)  # slots with queued requests, by name
        self._count = sum(len(q) for q in self.pqueues.values())

    def push(self, request: Request) -> None:
        slot = self._downloader_interface.get_slot_key(request)
        queue = self.pqueues.get(slot)
        if queue is None:
            queue = self.pqueues[slot] = self.pqfactory(slot)
            insort(self._order, slot)
        queue.push(request)
        self._count += 1

    def _choose(self, *, update_state: bool) -> str | None:
        """The slot Scrapy's `_next_slot` would choose (None when nothing is queued)."""
        order = self._order
        if not order:
            return None
        slots = self._downloader_interface.downloader.slots
        last = self._last_selected_slot
        start = bisect_right(order, last) if last is not None else 0
        for i in chain(range(start, len(order)), range(start)):
            slot = order[i]
            busy = slots.get(slot)
            if busy is None or not busy.active:
                if update_state:
                    self._last_selected_slot = slot
                return slot
        return self._next_slot(self._downloader_interface.stats(order), update_state=update_state)

    def pop(self) -> Request | None:
        slot = self._choose(update_state=True)
        if slot is None:
            return None
        queue = self.pqueues[slot]
        request = queue.pop()
        if request is not None:
            self._count -= 1
        if len(queue) == 0:
            del self.pqueues[slot]
            del self._order[bisect_right(self._order, slot) - 1]
            queue.close()
            if self.key:  # as Scrapy does: the slot's directory of a persisted (JOBDIR) crawl
                with suppress(OSError):
                    Path(self.key, _path_safe(slot)).rmdir()
        return request

    def peek(self) -> Request | None:
        slot = self._choose(update_state=False)
        return None if slot is None else self.pqueues[slot].peek()

    def close(self) -> dict[str, list[int]]:
        self._order.clear()
        self._count = 0
        return super().close()

    def __len__(self) -> int:
        return self._count
