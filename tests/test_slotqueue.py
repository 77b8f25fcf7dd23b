"""The crawl's scheduling queue hands out requests in exactly Scrapy's downloader-aware order (the
least busy outlet first, round-robin among equals), in memory and persisted to a job directory."""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.pqueues import DownloaderAwarePriorityQueue
from scrapy.settings import Settings
from scrapy.squeues import FifoMemoryQueue, PickleFifoDiskQueue
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

from crawler.crawl.slotqueue import SlotAwarePriorityQueue


class Downloader:
    """What the queue reads of Scrapy's downloader: each slot's active requests, a request's slot."""

    def __init__(self) -> None:
        self.slots: dict[str, Any] = {}

    def get_slot_key(self, request: Request) -> str:
        return urlsplit(request.url).netloc

    def set_active(self, slot: str, n: int) -> None:
        self.slots.setdefault(slot, SimpleNamespace(active=set())).active = set(range(n))


def crawler(downloader: Downloader) -> Any:
    c = get_crawler(Spider)
    c.engine = SimpleNamespace(downloader=downloader)
    return c


def queues(downloader: Downloader, cls: Any = FifoMemoryQueue, key: str = "") -> tuple[Any, Any]:
    c = crawler(downloader)
    return (DownloaderAwarePriorityQueue.from_crawler(c, cls, key),
            SlotAwarePriorityQueue.from_crawler(c, cls, key + "-ours" if key else ""))


def test_the_project_schedules_with_the_slot_aware_queue() -> None:
    project = Settings()
    project.setmodule("settings")
    assert load_object(project["SCHEDULER_PRIORITY_QUEUE"]) is SlotAwarePriorityQueue


def test_it_pops_what_scrapys_downloader_aware_queue_pops_under_changing_load() -> None:
    rng = random.Random(7)
    down = Downloader()
    theirs, ours = queues(down)
    outlets = [f"outlet{i:03d}.example:{8000 + i}" for i in range(60)]
    popped_theirs, popped_ours = [], []
    n = 0
    for _ in range(3000):
        action = rng.random()
        if action < 0.45:
            slot = rng.choice(outlets)
            request = Request(f"http://{slot}/news/{n}", priority=rng.choice((0, 0, 0, 1, -1)))
            n += 1
            theirs.push(request)
            ours.push(request)
        elif action < 0.85:
            peeked = ours.peek(), theirs.peek()
            assert (peeked[0] and peeked[0].url) == (peeked[1] and peeked[1].url)
            a, b = theirs.pop(), ours.pop()
            popped_theirs.append(a and a.url)
            popped_ours.append(b and b.url)
        else:  # downloads start and finish: some outlets busy, at times all of those queued
            busy = rng.sample(outlets, rng.choice((3, 30, 60)))
            for slot in outlets:
                down.set_active(slot, rng.randint(1, 2) if slot in busy else 0)
        assert len(ours) == len(theirs)
    while len(theirs):
        popped_theirs.append(theirs.pop().url)
        popped_ours.append(ours.pop().url)
    assert ours.pop() is None and len(ours) == 0
    assert popped_ours == popped_theirs
    assert sum(u is not None for u in popped_ours) == n  # every request came out once


def test_a_busy_outlet_waits_while_idle_ones_are_served() -> None:
    down = Downloader()
    _, ours = queues(down)
    for i in range(3):
        ours.push(Request(f"http://busy.example/{i}"))
        ours.push(Request(f"http://idle{i}.example/1"))
    down.set_active("busy.example", 2)
    first = [ours.pop().url for _ in range(3)]
    assert first == ["http://idle0.example/1", "http://idle1.example/1", "http://idle2.example/1"]
    assert ours.pop().url == "http://busy.example/0"  # only busy ones left: the least busy of them


def test_a_persisted_queue_resumes_with_its_requests_and_count(tmp_path: Path) -> None:
    down = Downloader()
    c = crawler(down)
    key = str(tmp_path / "requests")
    first = SlotAwarePriorityQueue.from_crawler(c, PickleFifoDiskQueue, key)
    for i in range(9):
        first.push(Request(f"http://outlet{i % 3}.example/{i}"))
    assert first.pop().url == "http://outlet0.example/0"
    state = first.close()
    again = SlotAwarePriorityQueue.from_crawler(c, PickleFifoDiskQueue, key, state)
    assert len(again) == 8
    urls = [again.pop().url for _ in range(8)]
    assert sorted(urls) == sorted(f"http://outlet{i % 3}.example/{i}" for i in range(1, 9))
    assert again.pop() is None
    assert not any(Path(key).iterdir())  # each emptied outlet's directory was removed
