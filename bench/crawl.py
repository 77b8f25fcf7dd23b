"""Crawl benchmark: the demo-site server scaled to 20 outlets × 100 articles.

Phases, each in its own process (Scrapy's reactor runs once per process, and peak RSS must be
the crawl's own): a bare Scrapy spider that only parses title and body from the same sites with
the same politeness settings; a first full crawl with every pipeline on; the bare spider again
(its two rates averaged, so a swing of the machine's speed does not land on one side of the
ratio); a second full crawl with nothing new, whose requests (robots.txt and 304s included) are
counted by the server.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from crawler import paths

OUTLETS, ARTICLES = 20, 100
TARGETS = {
    "crawl.ratio_vs_bare": "≥ 0.6",
    "crawl.idle_requests_per_outlet": "≤ 1.2",
    "crawl.peak_rss_mb": "≤ 400",
}


def _usage() -> dict[str, float]:
    """CPU and peak memory of this process plus its worker processes (all joined by now)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"cpu_s": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
            # the largest worker's peak added to ours: an upper bound of what ran at once
            "peak_rss_mb": (me.ru_maxrss + kids.ru_maxrss) / 1024}


def child_full() -> dict[str, Any]:
    """One `newswatch crawl --all` in this process."""
    from crawler.crawl.runner import run_crawl
    from crawler.registry import load_registry

    ids = sorted(load_registry().by_id())
    t0 = time.monotonic()
    summary = run_crawl(ids, {"LOG_LEVEL": "WARNING", "NEWSWATCH_MAX_LIST_PAGES": 20})
    wall = time.monotonic() - t0
    return {"wall_s": wall, "articles": summary.totals["new"], "requests": summary.totals["requests"], **_usage()}


def child_bare() -> dict[str, Any]:
    """A bare spider: lists with paging, then title and body by CSS; same politeness settings."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from crawler.crawl.project import project_settings
    from crawler.registry import load_registry

    outlets = list(load_registry().outlet)
    pages = {"n": 0}

    class BareSpider(scrapy.Spider):
        name = "bare"

        async def start(self):  # type: ignore[override]
            for o in outlets:
                yield scrapy.Request(o.lists[0] if o.lists else o.home + "news/articleList.html?view_type=sm",
                                     meta={"download_slot": o.id, "page": 1}, callback=self.parse_list)

        def parse_list(self, response):  # type: ignore[no-untyped-def]
            links = response.css("#section-list li .titles a::attr(href)").getall()
            for href in links:
                yield response.follow(href, meta={"download_slot": response.meta["download_slot"]},
                                      callback=self.parse_article)
            if links and response.meta["page"] < 20:
                page = response.meta["page"] + 1
                base = response.url.split("&page=")[0]
                yield scrapy.Request(f"{base}&page={page}", callback=self.parse_list,
                                     meta={"download_slot": response.meta["download_slot"], "page": page})

        def parse_article(self, response):  # type: ignore[no-untyped-def]
            pages["n"] += 1
            yield {"title": response.css("h1.heading::text").get(),
                   "body": " ".join(response.css("#article-view-content-div p::text").getall())}

    settings = project_settings({"LOG_LEVEL": "WARNING", "ITEM_PIPELINES": {}, "EXTENSIONS": {},
                                 "DOWNLOADER_MIDDLEWARES": {}})
    process = CrawlerProcess(settings)
    t0 = time.monotonic()
    process.crawl(BareSpider)
    process.start()
    wall = time.monotonic() - t0
    return {"wall_s": wall, "articles": pages["n"], **_usage()}


def _phase(name: str, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.crawl", name], env=env, capture_output=True,
                         text=True, cwd=paths.PROJECT_ROOT, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"bench phase {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _log_lines(log: Path) -> int:
    return sum(1 for _ in log.open()) if log.exists() else 0


def run() -> dict[str, Any]:
    work = paths.bench_dir() / "crawl-run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    registry, log = work / "outlets.toml", work / "requests.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "crawler.demosites", "serve", "--scale", f"{OUTLETS}:{ARTICLES}", "--port-base", "0",
         "--registry-out", str(registry), "--log", str(log)],
        stdout=subprocess.PIPE, text=True, cwd=paths.PROJECT_ROOT)
    try:
        assert server.stdout is not None
        server.stdout.readline()
        env = {**os.environ, "NEWSWATCH_HOME": str(work), "NEWSWATCH_OUTLETS_FILE": str(registry)}
        env.pop("NEWSWATCH_DB_URL", None)
        env.pop("NEWSWATCH_SMTP_HOST", None)
        # the bare spider runs before and after the full crawl and its two rates are averaged: a
        # shared machine's speed swings for seconds at a time, and the ratio compares two phases
        bares = [_phase("bare", {**env, "NEWSWATCH_HOME": str(work / "bare-before")})]
        full = _phase("full", env)
        bares.append(_phase("bare", {**env, "NEWSWATCH_HOME": str(work / "bare-after")}))
        before = _log_lines(log)
        idle = _phase("full", env)
        idle_requests = _log_lines(log) - before
    finally:
        server.terminate()
        server.wait(timeout=10)
    full_rate = full["articles"] / full["wall_s"]
    bare_rate = sum(b["articles"] / b["wall_s"] for b in bares) / len(bares)
    return {
        "crawl.pages_per_s": round(full_rate, 1),
        "crawl.bare_pages_per_s": round(bare_rate, 1),
        "crawl.ratio_vs_bare": round(full_rate / bare_rate, 3),
        "crawl.cpu_ms_per_article": round(1000 * full["cpu_s"] / max(full["articles"], 1), 2),
        "crawl.peak_rss_mb": round(full["peak_rss_mb"], 1),
        "crawl.idle_requests_per_outlet": round(idle_requests / OUTLETS, 2),
        "crawl.articles": full["articles"],
        "crawl.bare_articles": bares[0]["articles"],
        "crawl.idle_new_articles": idle["articles"],
    }


if __name__ == "__main__":
    phase = sys.argv[1]
    result = child_full() if phase == "full" else child_bare()
    print(json.dumps(result))
