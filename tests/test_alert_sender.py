"""Draining the outbox against a real SMTP server (aiosmtpd), on SQLite and PostgreSQL.

Rows are built directly with the models; each test drains and looks at what the server
received and what the outbox rows say afterwards.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crawler.alert.outbox import LEASE, MAX_ATTEMPTS, message_id_for, summarize
from crawler.alert.sender import SendReport, drain
from crawler.alert.transport import SmtpSettings, SmtpTransport
from crawler.store import Database
from crawler.store.models import Alert
from tests.support.db import ONLY_POSTGRES
from tests.support.env import free_port
from tests.support.mail import Handler, recipients, smtp_server
from tests.support.stories import add_alert, add_story

NOW = datetime(2026, 1, 2, 2, 10, tzinfo=UTC)  # Friday 11:10 in Seoul
DUE = NOW - timedelta(minutes=40)  # the 08:30 digest time has passed
TEAM = "tourism@city.example"
DISTRICT = "district@gu.example"
OPS = "ops@newswatch.example"
PEOPLE = recipients(
    {
        "address": TEAM,
        "name": "의료관광팀",
        "watchlists": ["medical-tourism", "wellness"],
        "mode": "both",
    },
    {"address": DISTRICT, "name": "구청 관광과"},
)


@pytest.fixture(autouse=True)
def watchlists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Watchlist and registry files that give display names (an outlet missing there shows its id)."""
    directory = tmp_path / "watchlists"
    directory.mkdir()
    (directory / "medical-tourism.toml").write_text('name = "의료관광"\n', encoding="utf-8")
    (directory / "wellness.toml").write_text('name = "웰니스"\n', encoding="utf-8")
    monkeypatch.setenv("NEWSWATCH_WATCHLISTS_DIR", str(directory))
    registry = tmp_path / "outlets.toml"
    registry.write_text(
        '[[outlet]]\nid = "incheonilbo"\nname = "인천일보"\nregion = "인천"\nhome = "https://www.incheonilbo.com/"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("NEWSWATCH_OUTLETS_FILE", str(registry))


@pytest.fixture
def smtp() -> Iterator[tuple[Handler, SmtpTransport]]:
    with smtp_server() as (handler, port):
        settings = SmtpSettings(
            host="127.0.0.1",
            port=port,
            security="none",
            from_address="newswatch@city.example",
            timeout=5,
        )
        yield handler, SmtpTransport(settings)


def statuses(db: Database) -> list[tuple[str, int, str]]:
    with db.session() as s:
        return [
            (a.recipient, a.story_id, a.status) for a in s.scalars(select(Alert).order_by(Alert.id))
        ]


def alerts(db: Database) -> list[Alert]:
    with db.session() as s:
        return list(s.scalars(select(Alert).order_by(Alert.id)))


def run(db: Database, transport: Any, now: datetime = NOW, **kw: Any) -> SendReport:
    return drain(
        db,
        now=now,
        transport=transport,
        recipients=kw.pop("people", PEOPLE),
        base_url_for_links="https://news.city.example",
        **kw,
    )


def test_each_story_once_one_mail_per_recipient(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    with db.session() as s:
        fam = add_story(
            s,
            "인천시, 러시아어권 의료 코디네이터 초청 의료관광 팸투어",
            outlets=("incheonilbo", "kyeonggi", "incheontoday"),
        )
        brief = add_story(
            s, "영등포구, 울란바토르 의료관광 설명회 참가", outlets=("seonamtoday",), score=22.0
        )
        spa = add_story(s, "웰니스 관광 상품 출시", watchlist="wellness", score=9.0)
        add_alert(s, fam, TEAM, due_at=DUE)
        add_alert(
            s, fam, TEAM, due_at=DUE, revision=2
        )  # the story changed: revision 2, still once in the mail
        add_alert(
            s, fam, TEAM, due_at=DUE, watchlist="wellness"
        )  # in two watchlists: once per section
        add_alert(s, brief, TEAM, due_at=DUE, mode="immediate")
        add_alert(s, spa, TEAM, due_at=DUE, watchlist="wellness")
        add_alert(s, fam, DISTRICT, due_at=DUE)
        add_alert(s, brief, DISTRICT, due_at=NOW + timedelta(days=1))  # not due yet

    report = run(db, transport)

    assert (report.mails_sent, report.alerts_sent, report.deferred, report.failed) == (2, 6, 0, 0)
    assert sorted(r for got in handler.received for r in got.rcpt_tos) == [DISTRICT, TEAM]
    team = handler.to(TEAM)[0]
    text = team.part("plain")
    assert (
        text.count("러시아어권 의료 코디네이터") == 2
    )  # medical-tourism section + wellness section
    assert text.count("울란바토르") == 1 and text.count("웰니스 관광 상품") == 1
    assert "3개 매체 보도: 인천일보, kyeonggi, incheontoday" in text
    assert (
        team.subject
        == "[의료관광 · 웰니스] 새 보도 3건 — 영등포구, 울란바토르 의료관광 설명회 참가 외 2건"
    )
    district = handler.to(DISTRICT)[0]
    assert (
        district.subject
        == "[의료관광] 새 보도 1건 — 인천시, 러시아어권 의료 코디네이터 초청 의료관광 팸투어"
    )

    rows = alerts(db)
    sent = [a for a in rows if a.status == "sent"]
    assert len(sent) == 6 and all(a.sent_at == NOW and a.claimed_until is None for a in sent)
    assert {a.message_id for a in sent if a.recipient == TEAM} == {team.message_id}
    assert team.message_id == message_id_for([a for a in sent if a.recipient == TEAM])
    assert [a.status for a in rows if a.due_at > NOW] == ["pending"]

    again = run(db, transport)
    assert again.mails_sent == 0 and len(handler.received) == 2
    tomorrow = run(db, transport, now=NOW + timedelta(days=1))
    assert tomorrow.mails_sent == 1 and "울란바토르" in handler.received[-1].subject


def test_korean_subject_parts_and_escaping(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    with db.session() as s:
        add_alert(
            s, add_story(s, "<script>alert('x')</script> 의료관광 특구 지정"), TEAM, due_at=DUE
        )
    run(db, transport)
    (got,) = handler.received
    assert got.subject == "[의료관광] 새 보도 1건 — <script>alert('x')</script> 의료관광 특구 지정"
    html = got.part("html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; 의료관광 특구 지정" in html
    assert ">의료관광</mark>" in html
    assert "1월 2일(금) 11:10" in got.part("plain")
    assert "https://news.city.example/feedback?" in html


OUTAGES = ["rcpt-451", "data-451", "closed-port"]


@pytest.mark.parametrize("outage", OUTAGES)
def test_an_outage_delays_mail_and_never_loses_it(
    db: Database, smtp: tuple[Handler, SmtpTransport], outage: str
) -> None:
    handler, transport = smtp
    with db.session() as s:
        add_alert(s, add_story(s, "외국인 환자 유치 실적 역대 최고"), TEAM, due_at=DUE)
    broken: Any = transport
    if outage == "rcpt-451":
        handler.rcpt_replies[TEAM] = "451 4.3.0 mailbox busy, try later"
    elif outage == "data-451":
        handler.data_reply = "451 4.3.0 queue full"
    else:
        broken = SmtpTransport(
            SmtpSettings(host="127.0.0.1", port=free_port(), security="none", timeout=2)
        )

    report = run(db, broken)

    assert (report.mails_sent, report.deferred, report.failed) == (0, 1, 0)
    (row,) = alerts(db)
    assert (row.status, row.attempts, row.claimed_by, row.message_id) == ("pending", 1, None, None)
    assert row.next_attempt_at == NOW + timedelta(minutes=1)
    assert row.last_error and ("451" in row.last_error or "ConnectionRefused" in row.last_error)

    assert run(db, broken, now=NOW + timedelta(seconds=30)).deferred == 0  # backing off: not tried
    report = run(db, broken, now=NOW + timedelta(minutes=2))
    (row,) = alerts(db)
    assert report.deferred == 1 and row.attempts == 2
    assert row.next_attempt_at == NOW + timedelta(minutes=2 + 5)

    with db.session() as s:
        seen = summarize(s, NOW + timedelta(minutes=3))
    assert (seen.pending, seen.retrying, seen.due, seen.failed, seen.needs_a_person) == (
        1,
        1,
        1,
        0,
        False,
    )
    assert seen.last_error == row.last_error

    handler.rcpt_replies.clear()
    handler.data_reply = None
    report = run(db, transport, now=NOW + timedelta(minutes=8))
    assert report.mails_sent == 1 and len(handler.received) == 1
    (row,) = alerts(db)
    assert row.status == "sent" and row.last_error is None


def test_a_refused_recipient_fails_alone_and_the_maintainers_hear_of_it(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    handler.rcpt_replies[DISTRICT] = "550 5.1.1 <district@gu.example>: no such user"
    with db.session() as s:
        story = add_story(s, "의료관광 코디네이터 양성 과정 개설")
        add_alert(s, story, TEAM, due_at=DUE)
        add_alert(s, story, DISTRICT, due_at=DUE)

    report = run(db, transport)

    assert (report.mails_sent, report.alerts_sent, report.failed, report.notices_sent) == (
        1,
        1,
        1,
        1,
    )
    assert [r.rcpt_tos for r in handler.received] == [[TEAM], [OPS]]
    notice = handler.to(OPS)[0]
    body = notice.part("plain")
    assert DISTRICT in body and "550" in body and "의료관광 코디네이터 양성 과정 개설" in body
    assert notice.subject.startswith("[newswatch] 알림 메일 전송 실패 1건")
    assert not handler.to(TEAM)[0].subject.startswith(
        "[newswatch]"
    )  # the office never gets notices
    assert statuses(db) == [(TEAM, story.story.id, "sent"), (DISTRICT, story.story.id, "failed")]
    failed = [a for a in alerts(db) if a.status == "failed"][0]
    assert "550" in (failed.last_error or "") and failed.attempts == 1

    assert run(db, transport, now=NOW + timedelta(hours=1)).mails_sent == 0  # failed stays failed
    with db.session() as s:
        seen = summarize(s, NOW)
    assert (seen.sent, seen.failed, seen.needs_a_person) == (1, 1, True) and "550" in (
        seen.last_error or ""
    )
    assert len(handler.received) == 2


def test_giving_up_after_the_attempt_limit(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    handler.data_reply = "421 4.4.2 try again"
    with db.session() as s:
        add_alert(
            s, add_story(s, "의료관광 예산 확대"), TEAM, due_at=DUE, attempts=MAX_ATTEMPTS - 1
        )
    report = run(db, transport)
    assert (report.deferred, report.failed) == (0, 1)
    (row,) = alerts(db)
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS
    assert report.notices_sent == 0  # the same server refuses the notice too: logged and reported
    assert any(line.outcome == "no notice" for line in report.lines)


def test_a_recipient_removed_from_the_file_is_not_mailed(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    with db.session() as s:
        story = add_story(s, "의료관광 특구 지정")
        add_alert(s, story, "gone@city.example", due_at=DUE)
        add_alert(
            s, story, DISTRICT, due_at=DUE, watchlist="wellness"
        )  # not subscribed to wellness
    report = run(db, transport)
    assert handler.received == [] and report.failed == 2 and report.notices_sent == 0
    assert all(
        a.status == "failed" and "no longer subscribed" in (a.last_error or "") for a in alerts(db)
    )


def test_digest_now_sends_everything_pending_except_what_is_in_backoff(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    with db.session() as s:
        add_alert(
            s, add_story(s, "내일 요약에 갈 기사"), DISTRICT, due_at=NOW + timedelta(hours=20)
        )
        add_alert(
            s,
            add_story(s, "조용한 시간이 끝나면 갈 기사", score=30.0),
            TEAM,
            due_at=NOW + timedelta(hours=2),
            mode="immediate",
        )
        add_alert(
            s,
            add_story(s, "서버 오류로 다시 보낼 기사", score=30.0),
            TEAM,
            due_at=NOW - timedelta(hours=1),
            mode="immediate",
            attempts=1,
            next_attempt_at=NOW + timedelta(minutes=5),
        )
    assert run(db, transport).mails_sent == 0
    # a digest sent now carries the mail quiet hours held back: no second mail for it at 07:00
    report = run(db, transport, digest=True)
    assert report.mails_sent == 2 and handler.to(DISTRICT) and handler.to(TEAM)
    assert "조용한 시간이 끝나면 갈 기사" in handler.to(TEAM)[0].part("plain")
    assert "서버 오류로 다시 보낼 기사" not in handler.to(TEAM)[0].part("plain"), "backoff is kept"
    assert [a.status for a in alerts(db)] == ["sent", "sent", "pending"]


def test_dry_run_changes_nothing(db: Database, smtp: tuple[Handler, SmtpTransport]) -> None:
    handler, transport = smtp
    with db.session() as s:
        add_alert(s, add_story(s, "의료관광 박람회 참가"), TEAM, due_at=DUE)
    before = [(a.status, a.attempts, a.claimed_by, a.message_id) for a in alerts(db)]
    report = run(db, transport, dry_run=True)
    assert handler.received == []
    assert [(a.status, a.attempts, a.claimed_by, a.message_id) for a in alerts(db)] == before
    (msg,) = report.messages
    assert msg["Subject"] == "[의료관광] 새 보도 1건 — 의료관광 박람회 참가"
    assert "would send" in report.render()


class Crash(BaseException):
    """The process dies (SIGKILL, OOM) right after the server accepted the mail."""


class CrashAfterSending:
    def __init__(self, inner: SmtpTransport) -> None:
        self.inner = inner
        self.from_address, self.reply_to = inner.from_address, inner.reply_to

    def describe(self) -> str:
        return "crashing " + self.inner.describe()

    def send(self, message: EmailMessage, to: list[str]) -> None:
        self.inner.send(message, to)
        raise Crash


def test_the_documented_duplicate_window(db: Database, smtp: tuple[Handler, SmtpTransport]) -> None:
    handler, transport = smtp
    with db.session() as s:
        story = add_story(s, "의료관광 팸투어")
        add_alert(s, story, TEAM, due_at=DUE)
        add_alert(s, story, TEAM, due_at=DUE, watchlist="wellness")
    with pytest.raises(Crash):
        run(db, CrashAfterSending(transport))
    assert {a.status for a in alerts(db)} == {"sending"}
    with db.session() as s:
        assert summarize(s, NOW + LEASE + timedelta(seconds=1)).stuck == 2
    first_id = handler.received[0].message_id

    assert (
        run(db, transport, now=NOW + LEASE - timedelta(seconds=1)).mails_sent == 0
    )  # the lease still holds
    with db.session() as s:  # a new alert for the same recipient in the meantime
        add_alert(s, add_story(s, "새로 들어온 기사"), TEAM, due_at=DUE)
    report = run(db, transport, now=NOW + LEASE + timedelta(seconds=1))

    assert (
        report.mails_sent == 2
    )  # the resend (same alert set, same id) and the new alert on its own
    ids = [r.message_id for r in handler.received]
    assert ids.count(first_id) == 2 and len(set(ids)) == 2
    resend = [r for r in handler.received[1:] if r.message_id == first_id][0]
    assert resend.subject == handler.received[0].subject
    assert {a.status for a in alerts(db)} == {"sent"}
    assert [a.attempts for a in alerts(db)] == [1, 1, 0]  # a resend counts as an attempt


def test_two_senders_at_once_send_each_alert_once(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    handler.delay = 0.05
    people = [{"address": f"office{i}@city.example"} for i in range(6)]
    group = recipients(*people)
    with db.session() as s:
        stories = [add_story(s, f"의료관광 기사 {n}") for n in range(3)]
        for p in people:
            for st in stories:
                add_alert(s, st, p["address"], due_at=DUE)
    start = threading.Barrier(2)
    reports: list[SendReport] = []
    errors: list[BaseException] = []

    def sender(name: str) -> None:
        try:
            start.wait()
            reports.append(
                drain(db, now=NOW, transport=transport, recipients=group, worker_id=name)
            )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=sender, args=(f"sender-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(r for got in handler.received for r in got.rcpt_tos) == sorted(
        p["address"] for p in people
    )
    assert all(got.part("plain").count("의료관광 기사") == 3 for got in handler.received)
    assert sum(r.mails_sent for r in reports) == 6 and sum(r.alerts_sent for r in reports) == 18
    assert {a.status for a in alerts(db)} == {"sent"}


def test_outbox_eml_when_no_smtp_host(db: Database, home: Path) -> None:
    with db.session() as s:
        add_alert(s, add_story(s, "외국인 환자 유치 설명회"), TEAM, due_at=DUE)
    report = drain(db, now=NOW, recipients=PEOPLE)  # no transport given: from the environment
    assert report.mails_sent == 1 and "outbox" in report.transport
    (eml,) = (home / "outbox").glob("*.eml")
    msg = message_from_bytes(eml.read_bytes(), policy=default)
    assert msg["Subject"] == "[의료관광] 새 보도 1건 — 외국인 환자 유치 설명회"
    assert msg["Message-ID"] == alerts(db)[0].message_id


class Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_webhook_recipient(db: Database, smtp: tuple[Handler, SmtpTransport]) -> None:
    handler, transport = smtp
    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Hook.received = []
    try:
        url = f"http://127.0.0.1:{server.server_port}/hooks/secret-path"
        people = recipients(
            {"address": "chat@city.example", "channel": "webhook", "webhook_url": url}
        )
        with db.session() as s:
            add_alert(
                s,
                add_story(s, "의료관광 웰니스 상품"),
                "chat@city.example",
                due_at=DUE,
                channel="webhook",
            )
        report = run(db, transport, people=people)
    finally:
        server.shutdown()
        server.server_close()
    assert report.mails_sent == 1 and handler.received == []
    (payload,) = Hook.received
    assert payload["subject"] == "[의료관광] 새 보도 1건 — 의료관광 웰니스 상품"
    assert (
        payload["stories"][0]["outlets"] == ["인천일보"] and payload["stories"][0]["score"] == 15.0
    )
    assert alerts(db)[0].status == "sent"


@ONLY_POSTGRES  # row locks are PostgreSQL's; SQLite serialises writers (the two-senders test covers it)
def test_rows_locked_by_another_sender_are_skipped_not_waited_for(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    with db.session() as s:
        first = add_alert(s, add_story(s, "다른 발송기가 잡고 있는 기사"), TEAM, due_at=DUE)
        add_alert(s, add_story(s, "바로 보낼 기사"), DISTRICT, due_at=DUE)
    with db.session() as other:  # another sender between its SELECT … FOR UPDATE and its commit
        other.execute(select(Alert).where(Alert.id == first.id).with_for_update())
        report = run(db, transport)
        assert report.mails_sent == 1 and [r.rcpt_tos for r in handler.received] == [[DISTRICT]]
    assert run(db, transport).mails_sent == 1 and handler.to(TEAM)


class Counting:
    """A transport wrapper that counts delivery attempts."""

    def __init__(self, inner: SmtpTransport) -> None:
        self.inner, self.calls = inner, 0
        self.from_address, self.reply_to = inner.from_address, inner.reply_to

    def describe(self) -> str:
        return self.inner.describe()

    def send(self, message: EmailMessage, to: list[str]) -> None:
        self.calls += 1
        self.inner.send(message, to)


def test_a_dead_server_is_tried_once_per_drain(db: Database) -> None:
    dead = Counting(
        SmtpTransport(SmtpSettings(host="127.0.0.1", port=free_port(), security="none", timeout=2))
    )
    with db.session() as s:
        story = add_story(s, "의료관광 특구 지정")
        add_alert(s, story, TEAM, due_at=DUE)
        add_alert(s, story, DISTRICT, due_at=DUE)
    report = run(db, dead)
    assert dead.calls == 1 and report.deferred == 2 and report.failed == 0
    rows = alerts(db)
    assert [a.status for a in rows] == ["pending", "pending"]
    errors = [a.last_error or "" for a in rows]
    assert all("ConnectionRefused" in e for e in errors)
    assert sum(e.startswith("not tried") for e in errors) == 1


def test_progress_is_reported_per_recipient(db: Database, smtp: tuple[Handler, SmtpTransport]) -> None:
    _handler, transport = smtp
    with db.session() as s:
        story = add_story(s, "외국인 환자 유치 설명회", outlets=("incheonilbo",))
        add_alert(s, story, TEAM, due_at=DUE)
        add_alert(s, story, DISTRICT, due_at=DUE)
    seen: list[tuple[int, int, str]] = []
    run(db, transport, progress=lambda done, total, who: seen.append((done, total, who)))
    assert [(d, t) for d, t, _ in seen] == [(1, 2), (2, 2)]
    assert sorted(who for *_, who in seen) == sorted([TEAM, DISTRICT])
