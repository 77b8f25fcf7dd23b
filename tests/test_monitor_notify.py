"""Maintainer notices over real SMTP: once per outlet and rule per day, recoveries, never the office."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crawler.alert.transport import SmtpSettings, SmtpTransport
from crawler.monitor.notify import notify
from crawler.monitor.rules import Check
from crawler.store import Database
from tests.support.mail import recipients, smtp_server

NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 10:00 in Seoul
OFFICE = "tourism@city.example"
OPS = "ops@newswatch.example"


def check(status: str, rule: str = "empty_discovery", outlet: str = "kbmaeil") -> Check:
    return Check(outlet, rule, status, 0.0 if status == "fail" else 20.0, 1.0, ">=",
                 f"entries on feeds and lists: {0 if status == 'fail' else 20} (should be >= 1)",
                 {"feed/entries": 0, "list/entries": 0} if status == "fail" else {"list/entries": 20})


def test_once_a_day_then_recovery(db: Database) -> None:
    people = recipients({"address": OFFICE}, maintainers=(OPS,))
    with smtp_server() as (handler, port):
        transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=5))

        def run(checks: list[Check], at: datetime) -> object:
            return notify(db, checks, at, maintainers=people.maintainers, transport=transport, sentry=False)

        first = run([check("fail"), check("pass", "error_ratio")], NOW)
        assert first.failing and first.mailed_to == [OPS]
        run([check("fail")], NOW + timedelta(hours=3))  # same Seoul day: nothing new
        assert len(handler.received) == 1
        again = run([check("fail")], NOW + timedelta(days=1))  # the next day: told again
        assert again.failing and len(handler.received) == 2
        recovered = run([check("pass")], NOW + timedelta(days=1, hours=1))
        assert recovered.recovered and not recovered.failing
        run([check("pass")], NOW + timedelta(days=1, hours=2))  # told once
        relapse = run([check("fail")], NOW + timedelta(days=1, hours=3))  # failing again: a new problem
        assert relapse.failing

    assert len(handler.received) == 4
    assert handler.to(OFFICE) == []
    assert all(r.rcpt_tos == [OPS] for r in handler.received)
    problem, _, recovery, _ = [r.message for r in handler.received]
    body = problem.get_content()
    assert "PROBLEM  kbmaeil / empty_discovery" in body and "list/entries: 0" in body
    assert "health problem" in str(problem["Subject"]) and "kbmaeil" in str(problem["Subject"])
    assert "RECOVERED  kbmaeil / empty_discovery" in recovery.get_content()
    assert "1 recovered" in str(recovery["Subject"])


def test_a_notice_that_could_not_be_sent_is_tried_again(db: Database) -> None:
    people = recipients(maintainers=(OPS,))
    dead = SmtpTransport(SmtpSettings(host="127.0.0.1", port=1, security="none", timeout=2))
    failed = notify(db, [check("fail")], NOW, maintainers=people.maintainers, transport=dead, sentry=False)
    assert failed.error and not failed.mailed_to
    with smtp_server() as (handler, port):
        live = SmtpTransport(SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=5))
        retried = notify(db, [check("fail")], NOW + timedelta(minutes=30), maintainers=people.maintainers,
                         transport=live, sentry=False)
    assert retried.mailed_to == [OPS] and len(handler.received) == 1


def test_a_failing_page_is_named_in_the_notice(db: Database, home: object) -> None:
    from crawler.monitor.failures import failure_path, save_failing_page

    saved = save_failing_page("kbmaeil", "https://www.kbmaeil.com/rss", b"<rss></rss>", "empty_discovery", now=NOW)
    assert saved == failure_path("kbmaeil", "empty_discovery", NOW)
    assert saved is not None and saved.name == "empty_discovery-2026-03-10.html"
    assert save_failing_page("kbmaeil", "u", b"other", "empty_discovery", now=NOW) is None  # first of the day kept
    assert saved.read_bytes() == b"<rss></rss>"
    people = recipients(maintainers=(OPS,))
    with smtp_server() as (handler, port):
        live = SmtpTransport(SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=5))
        notify(db, [check("fail")], NOW, maintainers=people.maintainers, transport=live, sentry=False)
    assert f"saved page: {saved}" in handler.received[0].message.get_content()
