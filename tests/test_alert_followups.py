"""Follow-ups: a story that gains outlets after its alert was mailed shows them in the next digest.

Real SQLite and PostgreSQL (the `db` fixture) and a real SMTP server (aiosmtpd). An outlet joins
the way ingest makes it join (an article of the story and its `story_outlets` row), then
`story_gained_outlet` is called in the same transaction, as ingest does.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

import crawler.store.models  # noqa: F401 - registers every table on Base.metadata
from crawler.alert.compose import StoryView
from crawler.alert.followups import followup_due_at, story_gained_outlet
from crawler.alert.mutes import mute
from crawler.alert.outbox import LEASE, alert_key, message_id_for
from crawler.alert.recipients import Recipient, Recipients
from crawler.alert.sender import SendReport, drain, render_preview, webhook_payload
from crawler.alert.transport import SmtpSettings, SmtpTransport
from crawler.store import Database
from crawler.store.db import alembic_config
from crawler.store.models import Alert, Article, Base, StoryOutlet
from tests.support.db import ONLY_POSTGRES
from tests.support.mail import Handler, Received, recipients, smtp_server
from tests.support.stories import WATCHLIST, Made, add_alert, add_story

SEOUL = ZoneInfo("Asia/Seoul")


def kst(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SEOUL).astimezone(UTC)


PUBLISHED = kst(1, 5, 9)  # Monday 09:00 in Seoul
MAILED = kst(1, 5, 10)  # the story's alert goes out
JOIN = kst(1, 5, 11)  # another outlet carries the story
LATER = kst(1, 5, 15)
NEXT_DIGEST = kst(1, 6, 8, 30)  # Tuesday's digest
TITLE = "인천시, 러시아어권 의료 코디네이터 초청 의료관광 팸투어"
TEAM = "tourism@city.example"  # digest
URGENT = "urgent@city.example"  # both: this story reached it at once
ALARM = "alarm@city.example"  # immediate only
PEOPLE = recipients(
    {"address": TEAM, "name": "의료관광팀"},
    {"address": URGENT, "mode": "both", "immediate_min_score": 12.0},
)
NAMES = {"incheonilbo": "인천일보", "kyeonggi": "경기일보", "seonamtoday": "서남투데이"}
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Display names of the watchlist and outlets; the 72-hour age limit of alerts."""
    directory = tmp_path / "watchlists"
    directory.mkdir()
    (directory / f"{WATCHLIST}.toml").write_text('name = "의료관광"\n', encoding="utf-8")
    monkeypatch.setenv("NEWSWATCH_WATCHLISTS_DIR", str(directory))
    registry = tmp_path / "outlets.toml"
    registry.write_text(
        "".join(
            f'[[outlet]]\nid = "{oid}"\nname = "{name}"\nregion = "인천"\nhome = "https://www.{oid}.example/"\n\n'
            for oid, name in NAMES.items()
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("NEWSWATCH_OUTLETS_FILE", str(registry))
    monkeypatch.delenv("NEWSWATCH_ALERT_MAX_AGE_HOURS", raising=False)


@pytest.fixture
def smtp() -> Iterator[tuple[Handler, SmtpTransport]]:
    with smtp_server() as (handler, port):
        settings = SmtpSettings(
            host="127.0.0.1", port=port, security="none", from_address="newswatch@city.example"
        )
        yield handler, SmtpTransport(settings)


def run(db: Database, transport: Any, now: datetime, people: Recipients = PEOPLE, **kw: Any) -> SendReport:
    return drain(
        db,
        now=now,
        transport=transport,
        recipients=people,
        base_url_for_links="https://news.city.example",
        **kw,
    )


def mailed_story(
    db: Database, transport: Any, *, people: Recipients = PEOPLE, title: str = TITLE
) -> Made:
    """A story of one outlet whose alert every recipient of `people` has already been sent."""
    with db.session() as s:
        made = add_story(s, title, published_at=PUBLISHED)
        for r in people.recipient:
            add_alert(s, made, r.address, due_at=MAILED, mode="digest" if r.address == TEAM else "immediate")
    report = run(db, transport, MAILED, people)
    assert report.mails_sent == len(people.recipient)
    return made


def join(db: Database, made: Made, outlet: str, at: datetime, *, people: Recipients = PEOPLE,
         published_at: datetime | None = None) -> int:
    """`outlet` carries the story from `at` on: what ingest stores, then the follow-ups it writes."""
    with db.session() as s:
        return join_in(s, made, outlet, at, people=people, published_at=published_at)


def join_in(session: Any, made: Made, outlet: str, at: datetime, *, people: Recipients = PEOPLE,
            published_at: datetime | None = None) -> int:
    n = next(_serial)
    url = f"https://www.{outlet}.example/news/{n}"
    art = Article(outlet_id=outlet, url=url, url_key=f"{outlet}|f{n}", canonical_url=url, title=TITLE,
                  body="본문", body_hash=f"f{n}", family="ndsoft", published_at=published_at or at,
                  story_id=made.story.id, first_seen_at=at)
    session.add(art)
    session.flush()
    session.add(StoryOutlet(story_id=made.story.id, outlet_id=outlet, article_id=art.id, first_seen_at=at))
    session.flush()
    return story_gained_outlet(
        session, story_id=made.story.id, article_id=art.id, recipients=people, now=at
    )


def rows(db: Database) -> list[Alert]:
    with db.session() as s:
        return list(s.scalars(select(Alert).order_by(Alert.id)))


def followups(db: Database, recipient: str | None = None) -> list[Alert]:
    return [a for a in rows(db) if a.followup and recipient in (None, a.recipient)]


def added_section(mail: Received) -> str:
    """The plain-text "추가 보도" section of a mail ('' when it has none)."""
    text = mail.part("plain")
    start = text.find("== 추가 보도")
    return text[start : text.index("\n--\n", start)] if start >= 0 else ""


def url_of(db: Database, story_id: int, outlet: str) -> str:
    with db.session() as s:
        return s.scalars(
            select(Article.url).where(Article.story_id == story_id, Article.outlet_id == outlet)
        ).one()


def test_a_new_outlet_after_the_mail_waits_for_the_next_digest_and_shows_alone(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    made = mailed_story(db, transport)
    assert [len(handler.to(TEAM)), len(handler.to(URGENT))] == [1, 1]

    assert join(db, made, "kyeonggi", JOIN) == 2  # one follow-up per recipient that had the story
    report = run(db, transport, JOIN + timedelta(minutes=3))  # the next drain: nothing at once
    assert report.mails_sent == 0 and len(handler.received) == 2
    story_alert = {a.recipient: a for a in rows(db) if not a.followup}
    for f in followups(db):
        assert (f.status, f.mode, f.due_at, f.followup, f.revision) == (
            "pending", "digest", NEXT_DIGEST, 1, 1
        )
        assert f.match_id == story_alert[f.recipient].match_id and f.article_id != made.article.id

    report = run(db, transport, NEXT_DIGEST + timedelta(minutes=1))
    assert report.mails_sent == 2
    for address in (TEAM, URGENT):
        mail = handler.to(address)[-1]
        assert mail.subject == f"[의료관광] 추가 보도 1건 — {TITLE}"
        text = mail.part("plain")
        assert "새 보도" not in text and "추가 보도 1건" in text
        section = added_section(mail)
        assert "1개 매체 추가 (총 2개 매체 보도)" in section
        assert "경기일보 · 1월 5일(월) 11:00" in section
        assert url_of(db, made.story.id, "kyeonggi") in section
        assert "인천일보" not in section  # mailed before: not news
        html = mail.part("html")
        assert "1개 매체 추가 (총 2개 매체 보도)" in html and "추가 보도 · 1건" in html
        assert f'<a href="{url_of(db, made.story.id, "kyeonggi")}"' in html
        assert f'<a href="{made.article.url}"' in html  # the title links to the story's article
        assert "인천일보" not in html
    assert {a.status for a in rows(db)} == {"sent"}
    mine = [a for a in followups(db) if a.recipient == TEAM]
    assert handler.to(TEAM)[-1].message_id == message_id_for(mine) != handler.to(TEAM)[0].message_id


def test_two_outlets_before_the_digest_make_one_followup(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    people = recipients({"address": TEAM})
    made = mailed_story(db, transport, people=people)
    assert join(db, made, "kyeonggi", JOIN, people=people) == 1
    assert join(db, made, "seonamtoday", LATER, people=people) == 0  # the pending one covers it
    assert len(followups(db)) == 1

    run(db, transport, NEXT_DIGEST, people)
    (first, mail) = handler.to(TEAM)
    section = added_section(mail)
    assert "2개 매체 추가 (총 3개 매체 보도)" in section
    assert section.index("경기일보 · 1월 5일(월) 11:00") < section.index("서남투데이 · 1월 5일(월) 15:00")
    assert "인천일보" not in section


def test_an_outlet_joining_before_the_mail_needs_no_followup(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    people = recipients({"address": TEAM})
    with db.session() as s:
        made = add_story(s, TITLE, published_at=PUBLISHED)
        add_alert(s, made, TEAM, due_at=NEXT_DIGEST)  # still pending
    assert join(db, made, "kyeonggi", JOIN, people=people) == 0
    assert followups(db) == []

    run(db, transport, NEXT_DIGEST, people)
    (mail,) = handler.to(TEAM)
    text = mail.part("plain")
    assert "2개 매체 보도: 인천일보, 경기일보" in text and "추가 보도" not in text
    assert mail.subject == f"[의료관광] 새 보도 1건 — {TITLE}"


def test_muted_outlets_are_never_mailed_as_followups(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    people = recipients({"address": TEAM})
    made = mailed_story(db, transport, people=people)
    with db.session() as s:
        mute(s, WATCHLIST, "kyeonggi", recipient=TEAM, now=MAILED)
    assert join(db, made, "kyeonggi", JOIN, people=people) == 0
    assert followups(db) == []

    assert join(db, made, "seonamtoday", LATER, people=people) == 1
    run(db, transport, NEXT_DIGEST, people)
    section = added_section(handler.to(TEAM)[-1])
    assert "1개 매체 추가 (총 3개 매체 보도)" in section  # the total counts every outlet
    assert "서남투데이" in section and "경기일보" not in section


def test_a_second_followup_shows_only_outlets_after_the_first(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    people = recipients({"address": TEAM})
    made = mailed_story(db, transport, people=people)
    join(db, made, "kyeonggi", JOIN, people=people)
    run(db, transport, NEXT_DIGEST, people)
    assert [a.status for a in rows(db)] == ["sent", "sent"]

    assert join(db, made, "seonamtoday", kst(1, 6, 10), people=people) == 1
    second = followups(db)[-1]
    assert (second.followup, second.due_at) == (2, kst(1, 7, 8, 30))
    run(db, transport, kst(1, 7, 8, 31), people)
    mails = handler.to(TEAM)
    assert len(mails) == 3
    section = added_section(mails[-1])
    assert "1개 매체 추가 (총 3개 매체 보도)" in section
    assert "서남투데이 · 1월 6일(화) 10:00" in section
    assert "경기일보" not in section and "인천일보" not in section
    assert len({m.message_id for m in mails}) == 3


def test_recipients_who_left_the_watchlist_get_no_followup(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    _handler, transport = smtp
    made = mailed_story(db, transport)
    now_people = recipients({"address": TEAM, "watchlists": ["wellness"]})  # URGENT removed
    assert join(db, made, "kyeonggi", JOIN, people=now_people) == 0
    assert followups(db) == []


def test_old_articles_joining_make_no_followup(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    _handler, transport = smtp
    made = mailed_story(db, transport)
    assert join(db, made, "kyeonggi", JOIN, published_at=JOIN - timedelta(hours=73)) == 0


def test_a_story_due_in_full_with_its_followup_is_shown_once(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    people = recipients({"address": TEAM})
    made = mailed_story(db, transport, people=people)
    join(db, made, "kyeonggi", JOIN, people=people)
    with db.session() as s:  # the story changed materially: revision 2, due in the same digest
        add_alert(s, made, TEAM, due_at=NEXT_DIGEST, revision=2)
    assert join(db, made, "seonamtoday", LATER, people=people) == 0  # pending: nothing more

    run(db, transport, NEXT_DIGEST, people)
    mail = handler.to(TEAM)[-1]
    text = mail.part("plain")
    assert mail.subject == f"[의료관광] 새 보도 1건 — {TITLE}"
    assert text.count("러시아어권 의료 코디네이터") == 1 and "추가 보도" not in text
    assert "3개 매체 보도: 인천일보, 경기일보, 서남투데이" in text
    assert {a.status for a in rows(db)} == {"sent"}


class Crash(BaseException):
    """The process dies right after the server accepted the mail."""


class CrashAfterSending:
    def __init__(self, inner: SmtpTransport) -> None:
        self.inner = inner
        self.from_address, self.reply_to = inner.from_address, inner.reply_to

    def describe(self) -> str:
        return "crashing " + self.inner.describe()

    def send(self, message: EmailMessage, to: list[str]) -> None:
        self.inner.send(message, to)
        raise Crash


def test_a_resent_followup_keeps_its_message_id(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    people = recipients({"address": TEAM})
    made = mailed_story(db, transport, people=people)
    story_alert = rows(db)[0]
    assert alert_key(story_alert) == f"{TEAM}|{WATCHLIST}|{made.story.id}|1"  # ids as before
    assert story_alert.message_id == message_id_for([story_alert])
    join(db, made, "kyeonggi", JOIN, people=people)
    (followup,) = followups(db)
    assert alert_key(followup) == f"{TEAM}|{WATCHLIST}|{made.story.id}|1|f1"

    with pytest.raises(Crash):
        run(db, CrashAfterSending(transport), NEXT_DIGEST, people)
    assert followups(db)[0].status == "sending"
    report = run(db, transport, NEXT_DIGEST + LEASE + timedelta(seconds=1), people)
    assert report.mails_sent == 1
    first, again = handler.to(TEAM)[1:]
    assert first.message_id == again.message_id == message_id_for([followup])
    assert first.subject == again.subject and added_section(first) == added_section(again)
    assert followups(db)[0].status == "sent"
    assert run(db, transport, kst(1, 7, 8, 31), people).mails_sent == 0  # sent: never again


def test_an_alert_being_sent_gets_a_followup(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    """A claimed alert's mail was composed before the outlet existed: the outlet is a follow-up."""
    _handler, _transport = smtp
    people = recipients({"address": TEAM})
    with db.session() as s:
        made = add_story(s, TITLE, published_at=PUBLISHED)
        add_alert(s, made, TEAM, due_at=MAILED, status="sending", claimed_by="other/1",
                  claimed_until=MAILED + LEASE)  # fmt: skip
    assert join(db, made, "kyeonggi", JOIN, people=people) == 1


@ONLY_POSTGRES  # row locks are PostgreSQL's; SQLite serialises writers
def test_an_ingest_holding_the_story_keeps_a_sender_off_its_alerts(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    """PostgreSQL: the joining transaction locks the story's alerts; a drain skips them meanwhile."""
    handler, transport = smtp
    people = recipients({"address": TEAM})
    with db.session() as s:
        made = add_story(s, TITLE, published_at=PUBLISHED)
        add_alert(s, made, TEAM, due_at=MAILED)
    with db.session() as ingest:
        assert join_in(ingest, made, "kyeonggi", JOIN, people=people) == 0  # pending: none
        assert run(db, transport, JOIN, people).mails_sent == 0  # skipped, not waited for
    assert run(db, transport, JOIN, people).mails_sent == 1
    assert "2개 매체 보도: 인천일보, 경기일보" in handler.to(TEAM)[0].part("plain")
    assert followups(db) == []


def test_immediate_only_recipients_get_followups_at_their_digest_slot(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    alarm = {"address": ALARM, "mode": "immediate", "digest_times": [], "quiet_hours": "22:00-09:00"}
    people = recipients(alarm)
    made = mailed_story(db, transport, people=people)
    assert join(db, made, "kyeonggi", JOIN, people=people) == 1
    (f,) = followups(db)
    assert (f.mode, f.due_at) == ("digest", kst(1, 6, 9))  # 08:30 when none is listed, after quiet hours
    assert run(db, transport, kst(1, 6, 8, 45), people).mails_sent == 0
    assert run(db, transport, kst(1, 6, 9), people).mails_sent == 1
    assert handler.to(ALARM)[-1].subject == f"[의료관광] 추가 보도 1건 — {TITLE}"


def test_followup_due_times() -> None:
    def person(**kw: Any) -> Recipient:
        return Recipient.model_validate({"address": TEAM, "watchlists": [WATCHLIST], **kw})

    friday_noon = kst(1, 9, 12)
    assert followup_due_at(person(), friday_noon) == kst(1, 12, 8, 30)  # weekdays: Monday
    assert followup_due_at(person(mode="both", quiet_hours="22:00-07:00"), friday_noon) == kst(1, 12, 8, 30)
    assert followup_due_at(person(digest_times=["17:00"]), friday_noon) == kst(1, 9, 17)
    seollal = kst(2, 13, 10)
    assert followup_due_at(person(skip_holidays=True), seollal) == kst(2, 19, 8, 30)
    assert followup_due_at(person(mode="immediate"), friday_noon) == kst(1, 12, 8, 30)
    late = person(mode="immediate", digest_times=["06:00"], quiet_hours="22:00-07:00")
    assert followup_due_at(late, friday_noon) == kst(1, 12, 7)


def test_a_followup_with_nothing_left_to_show_is_closed_without_mail(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    people = recipients({"address": TEAM})
    made = mailed_story(db, transport, people=people)
    join(db, made, "kyeonggi", JOIN, people=people)
    with db.session() as s:  # muted after the follow-up was written
        mute(s, WATCHLIST, "kyeonggi", recipient=TEAM, now=LATER)
    report = run(db, transport, NEXT_DIGEST, people)
    assert report.mails_sent == 0 and len(handler.received) == 1
    assert [line.outcome for line in report.lines] == ["nothing new"]
    assert followups(db)[0].status == "sent"


def test_preview_and_dry_run_show_the_followup(
    db: Database, smtp: tuple[Handler, SmtpTransport]
) -> None:
    handler, transport = smtp
    people = recipients({"address": TEAM})
    made = mailed_story(db, transport, people=people)
    join(db, made, "kyeonggi", JOIN, people=people)

    ((address, subject, html),) = render_preview(db, now=JOIN, recipients=people)
    assert address == TEAM and subject == f"[의료관광] 추가 보도 1건 — {TITLE}"
    assert "1개 매체 추가 (총 2개 매체 보도)" in html

    report = run(db, transport, NEXT_DIGEST, people, dry_run=True)
    assert [line.outcome for line in report.lines] == ["would send"]
    (msg,) = report.messages
    assert "1개 매체 추가 (총 2개 매체 보도)" in msg.get_body(preferencelist=("plain",)).get_content()
    assert followups(db)[0].status == "pending" and len(handler.received) == 1


def test_webhook_payload_lists_followups_apart() -> None:
    from crawler.alert.compose import compose_digest

    now = kst(1, 6, 8, 30)
    r = Recipient(address=TEAM, watchlists=(WATCHLIST,), channel="webhook", webhook_url="https://hook.example/x")
    base: dict[str, Any] = dict(
        story_id=7, title=TITLE, url="https://www.incheonilbo.example/1",
        outlets=[("인천일보", "https://www.incheonilbo.example/1", PUBLISHED),
                 ("경기일보", "https://www.kyeonggi.example/2", JOIN)],
        published_at=PUBLISHED, score=15.0, terms=["의료관광"], snippet_title="", snippet_body="",
        watchlist_id=WATCHLIST,
    )  # fmt: skip
    view = StoryView(**base, followup=True, new_outlets=(("경기일보", "https://www.kyeonggi.example/2", JOIN),))
    payload = webhook_payload(r, compose_digest(r, [view], {}, now), [view])
    assert payload["stories"] == []
    (item,) = payload["followups"]
    assert item["new_outlets"] == ["경기일보"] and item["outlets"] == ["인천일보", "경기일보"]


def test_migration_0004_matches_the_model_and_downgrades(db: Database) -> None:
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []
    with db.session() as s:
        made = add_story(s, TITLE, published_at=PUBLISHED)
        add_alert(s, made, TEAM, due_at=MAILED, status="sent", sent_at=MAILED)
        s.flush()
        s.add(Alert(recipient=TEAM, watchlist_id=WATCHLIST, story_id=made.story.id, revision=1,
                    followup=1, article_id=made.article.id, match_id=made.match.id, due_at=NEXT_DIGEST))
    cfg = alembic_config(db.engine)
    command.downgrade(cfg, "0003")
    columns = {c["name"] for c in inspect(db.engine).get_columns("alerts")}
    assert "followup" not in columns
    command.upgrade(cfg, "head")
    (kept,) = rows(db)  # the follow-up went with the column; the story alert stays, followup 0
    assert (kept.followup, kept.status) == (0, "sent")
    with db.session() as s:  # the widened key takes follow-ups again, and still refuses a twin
        s.add(Alert(recipient=TEAM, watchlist_id=WATCHLIST, story_id=made.story.id, revision=1,
                    followup=1, article_id=made.article.id, match_id=made.match.id, due_at=NEXT_DIGEST))
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(Alert(recipient=TEAM, watchlist_id=WATCHLIST, story_id=made.story.id, revision=1,
                    followup=1, article_id=made.article.id, match_id=made.match.id, due_at=NEXT_DIGEST))
