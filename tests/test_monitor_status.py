"""`newswatch status [--json]` and `newswatch health`: output and exit codes."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.commands.monitor import register
from crawler.monitor.checks import health_command, status_command
from crawler.monitor.status import sparkline
from crawler.store import Database
from crawler.store.models import Heartbeat
from tests.support.monitor import add_run, healthy_history, write_registry

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = write_registry(tmp_path)
    monkeypatch.setenv("NEWSWATCH_OUTLETS_FILE", str(path))
    return path


def run_status(as_json: bool = False) -> tuple[int, str]:
    out = io.StringIO()
    code = status_command(as_json=as_json, out=out, err=out, now=NOW)
    return code, out.getvalue()


@pytest.mark.parametrize(("values", "line"), [
    ([0, 0, 0], "▁▁▁"), ([0, 4, 8], "▁▅█"), ([], ""), ([3, 3], "██"), ([1, 7, 0, 2], "▂█▁▃"),
])
def test_sparkline(values: list[int], line: str) -> None:
    assert sparkline(values) == line


def test_all_well_exits_zero(db: Database, registry: Path) -> None:
    with db.session() as s:
        healthy_history(s, "incheonilbo", NOW)
        healthy_history(s, "kbmaeil", NOW)
        s.add(Heartbeat(name="scheduler", beat_at=NOW - timedelta(minutes=5)))
    code, text = run_status()
    assert code == 0, text
    assert "incheonilbo" in text and "kbmaeil" in text and "NEEDS A PERSON" not in text
    assert "scheduler: heartbeat 5m ago (limit 60m)" in text
    assert "outbox: 0 pending" in text
    code, raw = run_status(as_json=True)
    data = json.loads(raw)
    assert code == 0 and data["needs_a_person"] is False
    assert [o["state"] for o in data["outlets"]] == ["ok", "ok"]
    assert len(data["outlets"][0]["daily_new"]) == 7 and data["scheduler"]["age_seconds"] == 300


def test_a_failing_rule_a_stale_scheduler_and_a_removed_outlet(db: Database, registry: Path) -> None:
    with db.session() as s:
        healthy_history(s, "incheonilbo", NOW)
        for h in range(30, 0, -1):
            add_run(s, "kbmaeil", NOW - timedelta(hours=h), requests=10, errors=8, new=1)
        add_run(s, "closedpaper", NOW - timedelta(hours=2))
        s.add(Heartbeat(name="scheduler", beat_at=NOW - timedelta(hours=3)))
    code, text = run_status()
    assert code == 1
    assert "failing: error_ratio" in text
    assert "removed" in text and "closedpaper" in text
    assert "STALE" in text
    assert "NEEDS A PERSON: kbmaeil: error_ratio: failed requests: 80% (should be <= 20%)" in text
    code, raw = run_status(as_json=True)
    data = json.loads(raw)
    assert code == 1 and data["scheduler"]["stale"] is True
    states = {o["id"]: o["state"] for o in data["outlets"]}
    assert states == {"incheonilbo": "ok", "kbmaeil": "failing", "closedpaper": "removed"}
    failing = next(o for o in data["outlets"] if o["id"] == "kbmaeil")["failing"][0]
    assert failing["evidence"]["errors"] == 24 and failing["evidence"]["requests"] == 30


def test_failed_alerts_need_a_person(db: Database, registry: Path) -> None:
    from tests.support.stories import add_alert, add_story

    with db.session() as s:
        healthy_history(s, "incheonilbo", NOW)
        healthy_history(s, "kbmaeil", NOW)
        made = add_story(s, "인천 의료관광 팸투어")
        add_alert(s, made, "tourism@city.example", due_at=NOW - timedelta(hours=5), status="failed",
                  last_error="SMTP 550 no such user")
    code, text = run_status()
    assert code == 1 and "1 failed" in text and "SMTP 550 no such user" in text


def test_health_command_and_registration(db: Database, registry: Path) -> None:
    with db.session() as s:
        healthy_history(s, "incheonilbo", NOW)
        for h in (3, 2, 1):
            add_run(s, "kbmaeil", NOW - timedelta(hours=h), fallbacks=2, stats={"extract/fallback": 2})
    out = io.StringIO()
    assert health_command(out=out, err=out, now=NOW) == 1
    assert "FAIL kbmaeil fallback" in out.getvalue()
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["status", "--json"])
    assert args.command == "status" and callable(args.func)
    assert parser.parse_args(["health", "--notify"]).notify is True


def test_unusable_registry_exits_two(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWATCH_OUTLETS_FILE", str(tmp_path / "missing.toml"))
    code, text = run_status()
    assert code == 2 and "NEWSWATCH_OUTLETS_FILE" in text


def test_status_lists_the_schedulers_next_runs(db: Database) -> None:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    from crawler.monitor.status import next_runs

    assert next_runs(db) == [], "no scheduler (cron deployment): nothing to show"
    scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(engine=db.engine)},
                                    timezone="Asia/Seoul")
    scheduler.add_job("crawler.monitor.status:next_runs", "interval", minutes=30, id="crawl-tick", args=[None])
    scheduler.start(paused=True)
    scheduler.shutdown(wait=False)
    ((job, at),) = next_runs(db)
    assert job == "crawl-tick" and at.tzinfo is not None


def test_without_a_scheduler_status_says_so_and_shows_the_checks_and_last_publication(
        db: Database, registry: Path) -> None:
    from crawler.store.models import Article

    with db.session() as s:
        healthy_history(s, "incheonilbo", NOW)
        s.add(Article(outlet_id="incheonilbo", url="https://i.example/1", url_key="i|1", canonical_url="https://i.example/1",
                      title="제목", body="본문", body_hash="h", family="ndsoft", published_at=NOW - timedelta(days=9)))
        s.add(Article(outlet_id="incheonilbo", url="https://i.example/2", url_key="i|2", canonical_url="https://i.example/2",
                      title="미래 날짜", body="본문", body_hash="h2", family="ndsoft",
                      published_at=NOW + timedelta(days=30)))  # a wrong date is not "last published"
    code, text = run_status()
    assert "scheduler: no scheduler (no heartbeat" in text
    assert "last published" in text and "2026-03-01 (일)" in text
    assert "health checks per outlet:" in text and "failed requests <= 20 %" in text
    data = json.loads(run_status(as_json=True)[1])
    inch = next(o for o in data["outlets"] if o["id"] == "incheonilbo")
    assert inch["last_published_at"].startswith("2026-03-01")
