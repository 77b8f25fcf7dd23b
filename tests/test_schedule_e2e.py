"""The real scheduler daemon against the local demo sites: it crawls, mails once, survives a
restart without re-crawling or re-sending, refuses a second instance and stops cleanly on SIGTERM.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from crawler.store.models import Alert, Heartbeat, OutletRun
from tests.support.cli import FAST, cli_env
from tests.support.env import ROOT
from tests.support.sites import StartSites

RECIPIENTS = """
[[recipient]]
address = "team@example.org"
watchlists = ["medical-tourism"]
mode = "immediate"
immediate_min_score = 0.0
quiet_hours = ""

[[maintainer]]
address = "ops@example.org"
"""


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "crawler.cli", "schedule"], env=env, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT)


def _wait(cond: Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}; scheduler log:\n{log.read_text()[-4000:]}")


def _stop(proc: subprocess.Popen[bytes], log: Path) -> float:
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"no exit within 60 s of SIGTERM:\n{log.read_text()[-4000:]}")
    assert code == 0, log.read_text()[-4000:]
    return time.monotonic() - t0


def test_scheduler_crawls_mails_once_restarts_and_stops(sites: StartSites, tmp_path: Path, home: Path,
                                                         db_url: str) -> None:
    server = sites()
    (tmp_path / "recipients.toml").write_text(RECIPIENTS, encoding="utf-8")
    env = cli_env(home, server.registry, NEWSWATCH_DB_URL=db_url,
                  NEWSWATCH_RECIPIENTS_FILE=str(tmp_path / "recipients.toml"),
                  NEWSWATCH_SCHEDULE_WINDOW="always", NEWSWATCH_SCHEDULE_TICK="3s",
                  NEWSWATCH_SCHEDULE_SEND_EVERY="1s", NEWSWATCH_SCHEDULE_HEARTBEAT_EVERY="1s",
                  NEWSWATCH_SCHEDULE_CRAWL_ARGS=" ".join(FAST))
    engine = create_engine(db_url)
    log = tmp_path / "scheduler.log"
    outbox = home / "outbox"

    def q(stmt):  # noqa: ANN001, ANN202
        with Session(engine) as s:
            return s.execute(stmt).all()

    def all_sent() -> bool:
        """Every outlet crawled once and every story alert mailed. A copy that joined a story after
        its mail went out is a follow-up (followup > 0): it waits for the digest slot, never goes
        at once, so it is still pending here."""
        if not outbox.exists():
            return False
        rows = q(select(Alert.status, Alert.followup))
        crawled = q(select(func.count(OutletRun.id)).where(OutletRun.finished_at.is_not(None)))[0][0]
        stories = [status for status, followup in rows if followup == 0]
        later = [status for status, followup in rows if followup > 0]
        return (crawled == len(server.outlets) and bool(stories) and all(st == "sent" for st in stories)
                and all(st == "pending" for st in later))

    procs: list[subprocess.Popen[bytes]] = []

    try:
        first = _start(env, log)
        procs.append(first)
        _wait(all_sent, 45, "the first crawl and its mail", log)
        # immediate mail goes out as the crawl finds it: one mail per drain, each alert in one mail
        mails = len(list(outbox.glob("*.eml")))
        assert mails == len({r[0] for r in q(select(Alert.message_id).where(Alert.followup == 0))}) >= 1
        runs = dict(q(select(OutletRun.outlet_id, func.count()).group_by(OutletRun.outlet_id)))
        assert set(runs) == {o.id for o in server.outlets}

        second = subprocess.run([sys.executable, "-m", "crawler.cli", "schedule"], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=60, check=False)
        assert second.returncode == 3, second.stderr[-2000:]
        assert "another `newswatch schedule` is running" in second.stderr

        assert _stop(first, log) < 30
        (beat,) = q(select(Heartbeat.info).where(Heartbeat.name == "scheduler"))
        assert beat[0]["state"] == "stopped"

        restarted_at = time.time()
        again = _start(env, log)
        procs.append(again)

        def ticked_after_restart() -> bool:
            rows = q(select(Heartbeat.info).where(Heartbeat.name == "scheduler"))
            tick = rows[0][0].get("last_tick") if rows else None
            return bool(tick) and tick["outcome"] == "ok" and rows[0][0]["started_at"] > beat[0]["started_at"]

        _wait(ticked_after_restart, 30, "a tick after the restart", log)
        time.sleep(1.5)  # a few more drains
        assert _stop(again, log) < 30
        assert dict(q(select(OutletRun.outlet_id, func.count()).group_by(OutletRun.outlet_id))) == runs, \
            "nothing is re-crawled before its interval"
        assert len(list(outbox.glob("*.eml"))) == mails, "nothing is mailed twice"
        assert time.time() - restarted_at < 40
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        engine.dispose()
