"""A crawl never waits for ever on a database that stopped answering.

Timeouts bound what the server enforces (statement and lock timeouts) and what the network shows
(connect timeout, keepalives). A *paused* server — a stopped process, a frozen VM — still has its
kernel accept and acknowledge, so neither fires and a driver call waits for good, inside Scrapy's
reactor thread or the writer's transaction, where no timer can reach it. This watchdog is a thread
beside them: when one database call (a statement, a commit) has been under way longer than its
limit, it logs why and ends the process with EX_TEMPFAIL. Nothing is lost by that: the run's
outlets were marked incomplete when it began, and the next process closes the run as aborted and
reads those outlets again (the same path as a `kill -9`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event

from crawler.store.db import db_timeout_s

log = logging.getLogger(__name__)

EX_TEMPFAIL = 75  # sysexits.h: a temporary failure; run again later
LIMIT_FACTOR = 4  # a call may take this many NEWSWATCH_DB_TIMEOUT_S before the database counts as gone
MIN_LIMIT_S = 4.0  # with NEWSWATCH_DB_TIMEOUT_S at its default (30 s) the limit is 2 minutes


def _exit(code: int) -> None:
    logging.shutdown()
    os._exit(code)


class Watchdog:
    """Ends this process when one database call on `engine` runs longer than `limit_s` seconds."""

    def __init__(self, engine: Engine, limit_s: float, *, what: str,
                 on_stuck: Callable[[int], None] = _exit, before_exit: Callable[[], None] | None = None,
                 poll_s: float = 1.0) -> None:
        self.engine = engine
        self.limit_s = limit_s
        self.what = what
        self.on_stuck = on_stuck
        self.before_exit = before_exit
        self.poll_s = poll_s
        self._started: dict[int, float] = {}  # thread id -> when its current call began
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="db-watchdog", daemon=True)

    def start(self) -> Watchdog:
        for name, fn in self._engine_events():
            event.listen(self.engine, name, fn)
        for name, fn in self._pool_events():
            event.listen(self.engine.pool, name, fn)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for target, events in ((self.engine, self._engine_events()), (self.engine.pool, self._pool_events())):
            for name, fn in events:
                if event.contains(target, name, fn):
                    event.remove(target, name, fn)

    # A call begins with a statement, a commit, a rollback, or the pool's reset of a returned
    # connection (a rollback too); it ends with the statement, an error, or the connection back
    # in the pool (the commit or rollback completed).
    def _engine_events(self) -> list[tuple[str, Callable[..., None]]]:
        return [("before_cursor_execute", self._begin), ("commit", self._begin), ("rollback", self._begin),
                ("after_cursor_execute", self._end), ("handle_error", self._end)]

    def _pool_events(self) -> list[tuple[str, Callable[..., None]]]:
        return [("reset", self._begin), ("checkin", self._end)]

    def _begin(self, *_args: Any, **_kw: Any) -> None:
        self._started[threading.get_ident()] = time.monotonic()

    def _end(self, *_args: Any, **_kw: Any) -> None:
        self._started.pop(threading.get_ident(), None)

    def stuck_for(self) -> float:
        """How long the oldest call under way has been waiting (0 when none is)."""
        now = time.monotonic()
        return max((now - t for t in list(self._started.values())), default=0.0)

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_s):
            waited = self.stuck_for()
            if waited > self.limit_s:
                url = self.engine.url.render_as_string(hide_password=True)
                log.error("%s: the database at %s has not answered one call for %.1f s "
                          "(NEWSWATCH_DB_TIMEOUT_S x %d): ending this process; the next run closes "
                          "this one as aborted and reads its outlets again", self.what, url, waited,
                          LIMIT_FACTOR)
                if self.before_exit is not None:
                    try:
                        self.before_exit()
                    except Exception:  # noqa: BLE001 - ending the process matters more
                        log.exception("%s: cleaning up before the exit failed", self.what)
                self.on_stuck(EX_TEMPFAIL)
                return


def watch(engine: Engine, *, what: str, before_exit: Callable[[], None] | None = None) -> Watchdog:
    """Start a watchdog on `engine` with the limit NEWSWATCH_DB_TIMEOUT_S sets."""
    return Watchdog(engine, max(MIN_LIMIT_S, LIMIT_FACTOR * db_timeout_s()), what=what,
                    before_exit=before_exit).start()
