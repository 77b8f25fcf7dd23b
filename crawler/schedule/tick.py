"""A crawl tick: all due outlets in one crawl, in a process apart from the daemon, with a timeout.

The daemon decides which outlets are due (crawler.schedule.jobs.crawl_tick) and names them to the
crawl, so a tick with nothing due starts no crawl at all.

Where the crawl runs: by default in one crawl process the daemon keeps between ticks
(crawler.commands.crawlserve, `KeptCrawler`), which has loaded Scrapy, the store and the registry
once; a tick is one request to it (~0.05 s to start crawling instead of 2–5 s of CPU for a
`newswatch crawl -q` subprocess). With NEWSWATCH_SCHEDULE_KEEP_CRAWLER=false, or when the crawl
is to decide the due outlets itself (Redis mode), each tick is a `newswatch crawl -q` subprocess.

Either process has its own process group, so a timeout or a stop reaches Scrapy and anything it
started: SIGTERM first (Scrapy closes the spider and records the run), SIGKILL after a grace. A
kept process that was stopped, timed out or died is started afresh at the next tick.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
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


def serve_command() -> list[str]:
    """The crawl process kept between ticks (crawler.commands.crawlserve), with this interpreter."""
    return [sys.executable, "-m", "crawler.commands.crawlserve"]


RECYCLE_AFTER = 500  # ticks one kept crawl process serves; then a fresh one (what a long life gathers is let go)
OUTPUT_LINES = 200  # the kept process's last lines of output, for a failed tick's detail


class KeptCrawler:
    """The crawl process kept between ticks, as the daemon talks to it: a JSON line per request on
    its stdin, one per answer on its stdout, its logs read into a short buffer (never a full pipe)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            serve_command(), cwd=paths.PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace", bufsize=1,
            start_new_session=True,  # its own process group: a stop or timeout reaches every child
        )
        self.answers: queue.Queue[str | None] = queue.Queue()
        self.output: deque[str] = deque(maxlen=OUTPUT_LINES)
        self.served = 0
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._readers = [
            threading.Thread(target=self._answers, args=(self.proc.stdout,), daemon=True, name="kept-crawl-answers"),
            threading.Thread(target=self._output, args=(self.proc.stderr,), daemon=True, name="kept-crawl-output"),
        ]
        for reader in self._readers:
            reader.start()

    def _answers(self, stream: Any) -> None:
        with stream:
            for line in stream:
                self.answers.put(line.rstrip("\n"))
        self.answers.put(None)  # end of answers: the process is gone

    def _output(self, stream: Any) -> None:
        with stream:
            for line in stream:
                self.output.append(line.rstrip("\n"))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def ask(self, argv: list[str], timeout: float) -> dict[str, Any] | None:
        """Send one request and wait for its answer: None when the process ended first; raises
        queue.Empty after `timeout` seconds."""
        assert self.proc.stdin is not None
        self.output.clear()  # what this tick's crawl logs, for its detail
        try:
            self.proc.stdin.write(json.dumps({"argv": argv}, ensure_ascii=False) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        line = self.answers.get(timeout=timeout)
        if line is None:
            return None
        self.served += 1
        try:
            answer: dict[str, Any] = json.loads(line)
        except ValueError:  # never from crawlserve (its stdout carries answers only): a failed tick, not a crash
            return {"returncode": 1, "error": f"an answer that is not JSON: {line[:200]!r}"}
        return answer

    def tail(self) -> str:
        return _tail("\n".join(self.output))

    def close(self, grace: float) -> None:
        """End of input: the process exits once idle; SIGTERM, then SIGKILL, if it does not."""
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=grace)
        except (OSError, subprocess.TimeoutExpired):
            _signal_group(self.proc, signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc, signal.SIGKILL)
                self.proc.wait()
        self.release()

    def release(self) -> None:
        """After the process ended: its pipes closed (the readers close theirs at end of input)."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        for reader in self._readers:
            reader.join(timeout=5)


class TickRunner:
    """Runs ticks one at a time and can stop the running one from another thread."""

    def __init__(self, timeout: timedelta, grace: timedelta, extra_args: tuple[str, ...] = (),
                 keep: bool = False) -> None:
        self.timeout = timeout.total_seconds()
        self.grace = grace.total_seconds()
        self.extra_args = extra_args
        self.keep = keep  # named outlets go to a crawl process kept between ticks
        self._busy = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._kept: KeptCrawler | None = None
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
        if self.keep and outlets:
            return self._run_kept(started, reason, outlets)
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

    def _run_kept(self, started: datetime, reason: str, outlets: list[str]) -> TickResult:
        t0 = time.monotonic()
        kept = self._kept
        if kept is None or not kept.alive():
            kept = self._kept = KeptCrawler()
            log.info("started the kept crawl process %d (%s)", kept.proc.pid, " ".join(serve_command()[1:]))
        log.info("crawl tick (%s): kept crawl process %d, %d due outlet%s", reason, kept.proc.pid, len(outlets),
                 "s" if len(outlets) != 1 else "")
        self._proc = kept.proc
        try:
            answer = kept.ask(["-q", *self.extra_args, *outlets], self.timeout)
        except queue.Empty:
            self.kill(kept.proc)
            kept.release()
            self._kept = None
            detail = f"killed after {self.timeout:.0f}s (NEWSWATCH_SCHEDULE_CRAWL_TIMEOUT). " + kept.tail()
            return TickResult(started.isoformat(), round(time.monotonic() - t0, 2), kept.proc.returncode,
                              "timeout", detail)
        finally:
            self._proc = None
        seconds = round(time.monotonic() - t0, 2)
        if answer is None:  # the process ended: stopped, or it died (the next tick starts another)
            self._kept = None
            code = kept.proc.wait()
            kept.release()
            outcome = "stopped" if self._stopping.is_set() else "failed"
            return TickResult(started.isoformat(), seconds, code, outcome, f"the kept crawl process ended ({code}). "
                              + kept.tail())
        code = int(answer.get("returncode", 1))
        outcome = "stopped" if self._stopping.is_set() else ("ok" if code == 0 else "failed")
        detail = "" if code == 0 else "\n".join(x for x in (str(answer.get("error") or ""), kept.tail()) if x)
        if kept.served >= RECYCLE_AFTER:
            log.info("the kept crawl process %d served %d ticks; the next tick starts a fresh one", kept.proc.pid,
                     kept.served)
            self._kept = None
            kept.close(self.grace)
        return TickResult(started.isoformat(), seconds, code, outcome, detail)

    def close(self) -> None:
        """End the kept crawl process (if any) once idle: the daemon is done with it."""
        kept, self._kept = self._kept, None
        if kept is not None and kept.alive():
            kept.close(self.grace)

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
        kept = self._kept
        if kept is not None and kept.alive():  # idle between ticks: it ends with the daemon
            self.kill(kept.proc)
            kept.release()


def _signal_group(proc: subprocess.Popen[str], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def _tail(text: str | None, lines: int = 15) -> str:
    return "\n".join((text or "").strip().splitlines()[-lines:])
