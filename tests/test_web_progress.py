"""`crawler.crawl.progress.CrawlProgress`: quiet without a terminal, a line of figures with one."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
import scrapy
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.crawl.progress import CrawlProgress
from tests.support.sites import StartSites


class _Spider(scrapy.Spider):
    name = "progress-test"


def _crawler(**settings: Any) -> Any:
    crawler = get_crawler(_Spider, settings_dict=settings)
    return crawler


def test_quiet_without_a_terminal(caplog: pytest.LogCaptureFixture) -> None:
    # under pytest stderr is captured, not a terminal: cron behaves the same
    with caplog.at_level("INFO"), pytest.raises(NotConfigured):
        CrawlProgress.from_crawler(_crawler())
    assert "terminal" in caplog.text
    with pytest.raises(NotConfigured):
        CrawlProgress.from_crawler(_crawler(NEWSWATCH_PROGRESS="never"))
    with pytest.raises(NotConfigured, match="use one of"):
        CrawlProgress.from_crawler(_crawler(NEWSWATCH_PROGRESS="sometimes"))


def test_counts_outlets_articles_and_matches() -> None:
    crawler = _crawler(NEWSWATCH_PROGRESS="always", NEWSWATCH_PROGRESS_INTERVAL=60)
    ext = CrawlProgress.from_crawler(crawler)
    ext.stream = out = io.StringIO()
    spider = SimpleNamespace(outlets=[SimpleNamespace(id=o) for o in ("a", "b", "c")])
    ext.spider_opened(spider)
    try:
        reqs = {o: [scrapy.Request(f"https://{o}.example/{i}", meta={"outlet": o}) for i in range(2)]
                for o in ("a", "b")}
        for rs in reqs.values():
            for r in rs:
                ext.request_scheduled(r)
        ext.request_scheduled(scrapy.Request("https://x.example/robots.txt"))  # no outlet: ignored
        stats = crawler.stats
        stats.inc_value("outlet/a/requests", 2)
        stats.inc_value("outlet/a/articles/new", 5)
        stats.inc_value("outlet/a/articles/updated", 1)
        stats.inc_value("outlet/a/matches", 2)
        stats.inc_value("outlet/b/requests", 1)
        stats.inc_value("outlet/b/errors/TimeoutError", 1)
        stats.inc_value("outlet/removed/articles/new", 9)  # not an outlet of this spider
        for r in reqs["a"]:
            ext.request_finished(r)
        ext.request_finished(reqs["b"][0])
        assert ext.snapshot().done == 1  # a; b still has one request out, c has not started
        stats.inc_value("outlet/b/robots_blocked")  # b's last request was refused by robots.txt
        ext.report()
        line = out.getvalue().splitlines()[-1]
        assert "outlets 2/3 done, 1 left" in line
        assert "articles 5 new, 1 updated" in line and "matches 2" in line and "requests 3" in line
        assert "1 errors" in line
    finally:
        ext.spider_closed(spider, "finished")
    assert out.getvalue().splitlines()[-1].endswith("outlets 3/3 done, 0 left · articles 5 new, 1 updated "
                                                     "· matches 2 · requests 3 · 1 errors · finished")
    assert not ext.task.running


class _BrokenPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_terminal_never_stops_the_crawl() -> None:
    ext = CrawlProgress.from_crawler(_crawler(NEWSWATCH_PROGRESS="always"))
    closed = io.StringIO()
    closed.close()
    for dead in (closed, _BrokenPipe()):  # ValueError, OSError: swallowed, the crawl goes on
        ext.stream = dead
        ext.report()
    ext.stream = io.StringIO()  # and the extension still reports where it can
    ext.report()
    assert ext.stream.getvalue().startswith("progress ")


def test_a_real_crawl_prints_progress(sites: StartSites, home: Any) -> None:
    """The demo sites crawled by `newswatch crawl --all` with the extension forced on."""
    import json

    from settings import EXTENSIONS
    from tests.support.cli import FAST, cli_env, newswatch

    server = sites()
    extensions = json.dumps({**EXTENSIONS, "crawler.crawl.progress.CrawlProgress": 900})
    env = cli_env(home, server.registry)
    done = newswatch("crawl", "--all", *FAST, "-s", f"EXTENSIONS={extensions}", "-s", "NEWSWATCH_PROGRESS=always",
                     "-s", "NEWSWATCH_PROGRESS_INTERVAL=0.5", "-s", "LOG_LEVEL=WARNING", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("progress ")]
    assert lines, done.stderr[-3000:]
    n = len(server.outlets)
    assert lines[-1].endswith(" · finished") and f"outlets {n}/{n} done, 0 left" in lines[-1]
    assert " 0 new," not in lines[-1] and "matches 0 " not in lines[-1]
