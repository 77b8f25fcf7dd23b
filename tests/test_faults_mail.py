"""A mail server that refuses (issue 16, item 5): alerts fail with the server's answer, a person
puts them back with `newswatch send --retry-failed`, and nothing is mailed twice — against a real
SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.commands.alert import send_command
from crawler.store import Database
from crawler.store.models import Alert, utcnow
from tests.support.mail import CITY_TEAM, TEAM, mail_only_env, smtp_server
from tests.support.stories import add_pending

RECIPIENTS = CITY_TEAM + """
[[maintainer]]
address = "ops@city.example"
"""
REFUSAL = "550 5.1.1 mailbox unavailable"


@pytest.fixture
def configured(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in mail_only_env(tmp_path, RECIPIENTS).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("NEWSWATCH_SMTP_SECURITY", "none")
    monkeypatch.setenv("NEWSWATCH_SMTP_FROM", "newswatch@city.example")
    return home


def _due_stories(db: Database, titles: list[str]) -> None:
    with db.session() as s:
        for title in titles:
            add_pending(s, title, TEAM, due_in=-timedelta(minutes=5))


def _statuses(db: Database) -> list[tuple[str, str | None]]:
    with db.sessions() as s:
        return [(a.status, a.last_error) for a in s.scalars(select(Alert).order_by(Alert.id))]


def _send(**kw: object) -> tuple[int, str]:
    out = io.StringIO()
    code = send_command(out=out, err=io.StringIO(), **kw)  # type: ignore[arg-type]
    return code, out.getvalue()


def test_refused_mail_fails_with_the_answer_and_comes_back_once(
    db: Database, configured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _due_stories(db, ["부산 외국인 환자 유치 설명회", "대구 의료관광 팸투어"])
    with smtp_server() as (handler, port):
        monkeypatch.setenv("NEWSWATCH_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("NEWSWATCH_SMTP_PORT", str(port))
        handler.rcpt_replies = {"tourism@city.example": REFUSAL, "ops@city.example": REFUSAL}
        code, _ = _send()
        assert code == 1, "alerts that failed for good make `send` exit non-zero"
        rows = _statuses(db)
        assert [s for s, _ in rows] == ["failed", "failed"]
        assert all(e and "550" in e and "mailbox unavailable" in e for _, e in rows), rows

        # the maintainers' notice was refused too: kept on disk, not lost
        kept = list((configured / "outbox" / "maintainers").glob("*.eml"))
        assert len(kept) == 1 and b"ops@city.example" in kept[0].read_bytes()

        from crawler.monitor.status import collect

        status = collect(db, {}, utcnow())
        assert status.outbox.failed == 2 and status.needs_a_person
        assert any("2 failed" in p and "550" in p for p in status.problems)

        # the server is fixed: a person puts them back; one mail, both stories, once
        handler.rcpt_replies = {}
        code, out = _send(retry_failed=True)
        assert code == 0 and "2 failed alerts put back" in out
        assert [s for s, _ in _statuses(db)] == ["sent", "sent"]
        assert len(handler.to("tourism@city.example")) == 1

        # a second retry finds nothing: each alert key is mailed at most once
        code, out = _send(retry_failed=True)
        assert code == 0 and "0 failed alerts put back" in out
        assert len(handler.to("tourism@city.example")) == 1


def test_retry_failed_since_leaves_older_failures(db: Database, configured: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _due_stories(db, ["인천 웰니스 관광 상품", "광주 해외 의료진 초청"])
    with db.session() as s:
        rows = list(s.scalars(select(Alert).order_by(Alert.id)))
        for row in rows:
            row.status, row.last_error = "failed", f"recipient refused: {REFUSAL}"
        rows[0].created_at = utcnow() - timedelta(days=10)
    with smtp_server() as (handler, port):
        monkeypatch.setenv("NEWSWATCH_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("NEWSWATCH_SMTP_PORT", str(port))
        code, out = _send(retry_failed=True, since=utcnow() - timedelta(days=1))
    assert code == 0 and "1 failed alerts put back" in out
    assert [s for s, _ in _statuses(db)] == ["failed", "sent"]


def test_two_retries_at_once_mail_each_alert_once(db: Database, configured: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad input: two `newswatch send --retry-failed` at the same moment. Outcome: the failed alerts
    are put back once (one UPDATE of rows still failed), each is claimed by one drain, one mail."""
    _due_stories(db, [f"제주 의료관광 홍보 {i}호" for i in range(6)])
    with db.session() as s:
        for row in s.scalars(select(Alert)):
            row.status, row.last_error = "failed", f"recipient refused: {REFUSAL}"
    with smtp_server() as (handler, port):
        handler.delay = 0.3  # both drains are in flight together
        monkeypatch.setenv("NEWSWATCH_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("NEWSWATCH_SMTP_PORT", str(port))
        codes: list[int] = []
        start = threading.Barrier(2)

        def retry() -> None:
            start.wait()
            codes.append(_send(retry_failed=True)[0])

        threads = [threading.Thread(target=retry) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        mails = handler.to("tourism@city.example")
    assert codes == [0, 0]
    assert [s for s, _ in _statuses(db)] == ["sent"] * 6
    assert len(mails) == 1, "one drain mailed the six stories; the other found them claimed"


def test_kill_during_a_send_after_the_server_accepted(db: Database, configured: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad input: `newswatch send` killed after the server took the mail, before the sender recorded
    it. Outcome (the documented at-least-once window): the alerts stay `sending`; once the lease
    expires the next drain sends them again with the same Message-ID — one duplicate at most,
    never a loss; a further drain sends nothing."""
    import os
    import signal
    import subprocess
    import sys

    from crawler.store.models import utcnow as now

    _due_stories(db, ["울산 의료관광 팸투어", "세종 해외환자 유치"])
    procs: list[subprocess.Popen[str]] = []
    with smtp_server() as (handler, port):
        real_data = handler.handle_DATA

        async def accept_then_kill_sender(server, session, envelope):  # type: ignore[no-untyped-def]
            reply = await real_data(server, session, envelope)  # stored: the server accepted it
            if len(handler.received) == 1:
                os.kill(procs[0].pid, signal.SIGKILL)  # before the sender hears "250" and commits
            return reply

        handler.handle_DATA = accept_then_kill_sender  # type: ignore[method-assign]
        monkeypatch.setenv("NEWSWATCH_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("NEWSWATCH_SMTP_PORT", str(port))
        env = dict(os.environ)
        procs.append(subprocess.Popen([sys.executable, "-m", "crawler.cli", "send"], env=env, text=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        assert procs[0].wait(timeout=120) == -signal.SIGKILL
        assert [s for s, _ in _statuses(db)] == ["sending", "sending"]
        with db.session() as s:  # the 15-minute lease runs out
            for row in s.scalars(select(Alert)):
                row.claimed_until = now() - timedelta(seconds=1)
        assert _send()[0] == 0
        assert _send()[0] == 0
        mails = handler.to("tourism@city.example")
    assert [s for s, _ in _statuses(db)] == ["sent", "sent"]
    assert len(mails) == 2 and mails[0].message["Message-ID"] == mails[1].message["Message-ID"]
