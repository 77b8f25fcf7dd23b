"""A crawl tick: one `newswatch crawl -q` subprocess for all due outlets, with a timeout.

The daemon decides which outlets are due (crawler.schedule.jobs.crawl_tick) and names them to the
crawl, so a tick with nothing due starts no process at all.

The subprocess gets its own process group, so a timeout or a stop reaches Scrapy and anything
it started: SIGTERM first (Scrapy closes the spider and records the run), SIGKILL after a grace.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler import paths

log = logging.getLogger(__name__)


@dataclass
class TickResult:
    """What one tick did, kept in the heartbeat's info."""

    started_at: str
    seconds: float
    returncode: int | None
    outcome: str  # ok | failed | timeout | stopped | skipped
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def crawl_command(extra: tuple[str, ...] = ()) -> list[str]:
    """`python -m crawler.cli crawl -q` with this interpreter (the venv's), plus extra arguments."""
    return [sys.executable, "-m", "crawler.cli", "crawl", "-q", *extra]


class TickRunner:
    """Runs ticks one at a time and can stop the running one from another thread."""

    def __init__(self, timeout: timedelta, grace: timedelta, extra_args: tuple[str, ...] = ()) -> None:
        self.timeout = timeout.total_seconds()
        self.grace = grace.total_seconds()
        self.extra_args = extra_args
        self._busy = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._stopping = threading.Event()
        self.last: TickResult | None = None

    def run(self, reason: str = "tick", outlets: list[str] | None = None) -> TickResult:
        """One tick over these outlets (None: the crawl picks the due ones itself); a tick still
        running makes this one a no-op (never two crawls at once)."""
        started = datetime.now(UTC)
        if self._stopping.is_set() or not self._busy.acquire(blocking=False):
            return TickResult(started.isoformat(), 0.0, None, "skipped", "a tick is running or the scheduler is stopping")
        try:
            result = self._run(started, reason, outlets)
        finally:
            self._busy.release()
        self.last = result
        level = logging.INFO if result.outcome == "ok" else logging.WARNING
        log.log(level, "crawl tick (%s): %s in %.1fs %s", reason, result.outcome, result.seconds, result.detail)
        return result

    def nothing_due(self, reason: str, started: datetime, seconds: float) -> TickResult:
        """A tick that found no outlet due: no crawl started, and the heartbeat still shows it ticked."""
        self.last = TickResult(started.isoformat(), round(seconds, 2), 0, "ok", "nothing due")
        log.debug("crawl tick (%s): nothing due (decided in %.2fs)", reason, seconds)
        return self.last

    def _run(self, started: datetime, reason: str, outlets: list[str] | None) -> TickResult:
        t0 = time.monotonic()
        cmd = crawl_command(self.extra_args + tuple(outlets or ()))
        shown = cmd[1:len(cmd) - len(outlets or ())]  # the outlets as a count: 3,000 ids make no log line
        log.info("crawl tick (%s): %s%s", reason, " ".join(shown),
                 f" ({len(outlets)} due outlet{'s' if len(outlets) != 1 else ''})" if outlets else "")
        # output goes to a file, not a pipe: a chatty crawl can never block on a full pipe
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as out:
            proc = subprocess.Popen(
                cmd, cwd=paths.PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT, text=True,
                start_new_session=True,  # its own process group: a stop or timeout reaches every child
            )
            self._proc = proc
            try:
                proc.wait(timeout=self.timeout)
                outcome = "stopped" if self._stopping.is_set() else ("ok" if proc.returncode == 0 else "failed")
                timed_out = ""
            except subprocess.TimeoutExpired:
                self.kill(proc)
                outcome = "timeout"
                timed_out = f"killed after {self.timeout:.0f}s (NEWSWATCH_SCHEDULE_CRAWL_TIMEOUT). "
            finally:
                self._proc = None
            out.seek(0)
            detail = timed_out + (_tail(out.read()) if proc.returncode else "")
        return TickResult(started.isoformat(), round(time.monotonic() - t0, 2), proc.returncode, outcome, detail)

    def kill(self, proc: subprocess.Popen[str]) -> None:
        """SIGTERM the process group, SIGKILL it after the grace."""
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=self.grace)
        except subprocess.TimeoutExpired:
            log.warning("crawl subprocess %d ignored SIGTERM for %.0fs; killing it", proc.pid, self.grace)
            _signal_group(proc, signal.SIGKILL)
            proc.wait()

    def stop(self) -> None:
        """Refuse new ticks and end the running one (called on SIGTERM/SIGINT)."""
        self._stopping.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            log.info("stopping the running crawl subprocess %d", proc.pid)
            self.kill(proc)


def _signal_group(proc: subprocess.Popen[str], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def _tail(text: str | None, lines: int = 15) -> str:
    return "\n".join((text or "").strip().splitlines()[-lines:])
