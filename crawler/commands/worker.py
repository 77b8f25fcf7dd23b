"""`newswatch worker`: a scale-out crawl worker consuming the shared Redis queue."""

from __future__ import annotations

import argparse
from typing import Any

from crawler.commands import die, scrapy_setting


def cmd_worker(args: argparse.Namespace) -> int:
    from crawler.crawl.queue import redis_url

    if not redis_url():
        return die("`newswatch worker` needs NEWSWATCH_REDIS_URL (e.g. redis://127.0.0.1:6379/0); "
                   "without it, `newswatch crawl` crawls in one process")
    from crawler.crawl.cpu import workers_from_env
    from crawler.crawl.worker import run_worker

    try:  # a bad value stops the worker before it takes anything from the queue
        workers_from_env()
    except ValueError as exc:
        return die(str(exc))

    overrides: dict[str, Any] = dict(args.set or [])
    if args.quiet:
        overrides.setdefault("LOG_LEVEL", "WARNING")
    return run_worker(overrides)


def register(sub: Any) -> None:
    w = sub.add_parser(
        "worker", help="a scale-out crawl worker: consume the shared Redis queue until SIGTERM",
        description="Consume the crawl requests that `newswatch crawl` / `newswatch schedule` enqueue "
                    "in Redis (NEWSWATCH_REDIS_URL, keys under NEWSWATCH_REDIS_PREFIX) and store into "
                    "the shared database (NEWSWATCH_DB_URL). Runs while idle; SIGTERM stops it cleanly.")
    w.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    w.add_argument("-s", "--set", action="append", type=scrapy_setting, metavar="KEY=VALUE",
                   help="override a Scrapy setting (repeatable)")
    w.set_defaults(func=cmd_worker)
