"""The crawl process `newswatch schedule` keeps between ticks (`python -m crawler.commands.crawlserve`).

A tick used to start a `newswatch crawl -q` subprocess: 2–5 s of CPU (imports, the registry, the
store, Scrapy's set-up) before its first request, at every tick, however few outlets were due. This
process pays that once. It reads one request per line on stdin, a JSON object

    {"argv": ["OUTLET", ..., "-s", "KEY=VALUE"]}

holding what would follow `newswatch crawl` (the same options, checked the same way,
crawler.commands.crawl), crawls in its running reactor one crawl after another, and answers one
JSON line on stdout per request:

    {"returncode": 0, "finish_reason": "finished", "totals": {...}, "error": "", "peak_rss_mb": 180.2, "answered": 7}

`returncode` is what `newswatch crawl` would have exited with (0; 1 when an outlet failed; 2 when
the request was refused, `error` saying why). Everything else the crawl prints or logs goes to
stderr. On SIGTERM (a tick's timeout, the scheduler stopping) the running crawl closes as a
one-shot crawl does (its run is recorded and resumed at the next tick) and the process exits; at
end of input it exits once the running crawl is done.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import resource
import sys
import threading
import time
from typing import IO, Any

from crawler.commands.crawl import add_arguments, exit_status, plan
from crawler.crawl.project import project_settings
from crawler.crawl.queue import redis_url
from crawler.crawl.runner import crawl_settings, enqueue_crawl, summarize
from crawler.errors import EXIT_CONFIG, USER_ERRORS
from crawler.registry import load_registry
from spiders.base import OutletSpider

# articles a crawl here asks for before it starts the CPU-worker and writer processes (a one-shot
# crawl: crawl.context.POOLS_AFTER, 150). Both live only as long as their crawl, so a tick that
# starts them pays 2.1 s of CPU and ~320 MB beside this process, once per tick, while a tick over
# 3,000 outlets every 5 minutes at the morning peak finds ~200 articles (the freshness bench), ~16 ms
# each inline. Above this a tick is a backlog (a first crawl, a day down) and the parallelism pays.
KEPT_POOLS_AFTER = 1000


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # a bad request is answered, never the end of the process
        raise ValueError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="newswatch crawl", exit_on_error=False, add_help=False)
    add_arguments(p)
    return p


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Server:
    """Requests in, one crawl at a time in the reactor, answers out."""

    def __init__(self, process: Any, answers: IO[str]) -> None:
        self.process = process
        self.answers = answers
        self.parser = _parser()
        self.busy = False
        self.answered = 0
        self.began = 0.0

    def answer(self, returncode: int, **extra: Any) -> None:
        self.answered += 1
        line = {"returncode": returncode, "finish_reason": "", "totals": {}, "error": "", **extra,
                "peak_rss_mb": round(_peak_rss_mb(), 1), "answered": self.answered}
        self.answers.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
        self.answers.flush()

    def handle(self, line: str) -> None:
        """One request (called in the reactor thread)."""
        self.began = time.monotonic()
        if self.busy:  # the scheduler never asks twice at once; a second asker is refused, not queued
            self.answer(EXIT_CONFIG, error="a crawl is running in this process")
            return
        try:
            request = json.loads(line)
            argv = request["argv"]
            if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
                raise TypeError("argv must be a list of strings")
            args = self.parser.parse_args(argv)
            planned = plan(args)
        except (ValueError, KeyError, TypeError, argparse.ArgumentError) as exc:
            self.answer(EXIT_CONFIG, error=f"bad request: {exc}")
            return
        except USER_ERRORS as exc:  # the store is down, the registry is broken, …
            self.answer(EXIT_CONFIG, error=str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - every request is answered: the daemon waits for it
            self.answer(1, error=f"{type(exc).__name__}: {exc}")
            return
        if planned.refused:
            self.answer(EXIT_CONFIG, error=planned.refused)
            return
        if not planned.outlets:
            self.answer(0, finish_reason="nothing due")
            return
        if redis_url():  # Redis mode: the requests go to the shared queue, workers crawl
            summary = enqueue_crawl(planned.outlets, planned.overrides)
            self.answer(exit_status(summary), finish_reason=summary.finish_reason, totals=summary.totals)
            return
        self.start(planned.outlets, planned.overrides)

    def start(self, outlets: list[str], overrides: dict[str, Any]) -> None:
        from scrapy.crawler import Crawler

        # what the last crawl left is collected now, then frozen out of collection with what this
        # crawl starts with (crawl.project.quiet_collector, once per crawl here)
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.busy = True
        try:
            settings = crawl_settings(outlets, overrides)
            if settings.get("NEWSWATCH_POOLS_AFTER") is None:  # a request's own -s wins
                settings.set("NEWSWATCH_POOLS_AFTER", KEPT_POOLS_AFTER)
            crawler = Crawler(OutletSpider, settings, init_reactor=False)
            done = self.process.crawl(crawler, outlets=",".join(outlets))
        except Exception as exc:  # noqa: BLE001 - a crawl that cannot start is this request's answer
            self.busy = False
            self.answer(1, error=f"the crawl did not start: {exc!r}")
            return

        def finished(result: Any) -> None:
            self.busy = False
            error = "" if not hasattr(result, "getTraceback") else result.getTraceback()[-3000:]
            try:
                summary = summarize(crawler, outlets)
            except Exception as exc:  # noqa: BLE001 - every request is answered: the daemon waits for it
                self.answer(1, error=error or f"{type(exc).__name__}: {exc}")
                return
            code = exit_status(summary) if not error else 1
            self.answer(code, finish_reason=summary.finish_reason, totals=summary.totals, error=error,
                        seconds=round(time.monotonic() - self.began, 2))

        done.addBoth(finished)


def main() -> int:
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")  # stdout carries the answers only
    os.dup2(2, 1)  # what a crawl prints goes where its logs go
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.reactor import install_reactor

    from crawler.config import settings
    from crawler.logs import add_file_handler

    try:
        settings()  # every NEWSWATCH_* value checked before the first request, as the CLI does
        add_file_handler("crawl")
    except ValueError as exc:
        sys.stderr.write(f"newswatch: {exc}\n")
        return EXIT_CONFIG
    base = project_settings({"LOG_LEVEL": "WARNING"})  # a tick's crawl is quiet (`-q`)
    install_reactor(base["TWISTED_REACTOR"], base["ASYNCIO_EVENT_LOOP"])
    from twisted.internet import reactor as installed

    reactor: Any = installed
    process = CrawlerProcess(base)
    try:
        load_registry()  # read now, not in the first tick (a crawl reads it again only if it changed)
    except USER_ERRORS as exc:  # a broken registry is each request's answer until it is mended
        sys.stderr.write(f"newswatch: {exc}\n")
    server = Server(process, answers)

    def read() -> None:
        for line in sys.stdin:
            if line.strip():
                reactor.callFromThread(server.handle, line)
        # end of input: the scheduler is done with this process; the running crawl finishes first
        reactor.callFromThread(lambda: process.join().addBoth(_stop))

    def _stop(_: Any) -> None:
        with contextlib.suppress(RuntimeError):  # already stopping (a SIGTERM came too)
            reactor.stop()

    threading.Thread(target=read, name="requests", daemon=True).start()
    process.start(stop_after_crawl=False)  # SIGTERM: the running crawl closes, then the reactor stops
    return 0


if __name__ == "__main__":
    sys.exit(main())
