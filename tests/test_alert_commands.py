"""`newswatch send` and `newswatch digest --preview` as command functions, with the outbox directory."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest

from crawler.commands.alert import digest_preview_command, send_command
from crawler.store import Database
from crawler.store.models import utcnow
from tests.support.mail import CITY_TEAM, TEAM, mail_only_env
from tests.support.stories import add_alert, add_pending, add_story

RECIPIENTS = CITY_TEAM + """
[[recipient]]
address = "district@gu.example"
watchlists = ["medical-tourism"]

[[maintainer]]
address = "ops@city.example"
"""


@pytest.fixture
def configured(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in mail_only_env(tmp_path, RECIPIENTS).items():
        monkeypatch.setenv(key, value)
    return home


def pending(db: Database, title: str, *, due_in: timedelta) -> None:
    with db.session() as s:
        add_pending(s, title, TEAM, due_in=due_in)


def test_send_writes_the_outbox_once(db: Database, configured: Path) -> None:
    pending(db, "인천시 의료관광 팸투어", due_in=-timedelta(minutes=5))
    out = io.StringIO()
    assert send_command(digest=False, dry_run=True, out=out) == 0
    assert (
        "would send" in out.getvalue()
        and "Subject: [medical-tourism] 새 보도 1건 — 인천시 의료관광 팸투어" in out.getvalue()
    )
    assert "«의료관광»" in out.getvalue()
    assert not (configured / "outbox").exists()

    out = io.StringIO()
    assert send_command(digest=False, dry_run=False, out=out) == 0
    assert "sent 1 mails (1 alerts)" in out.getvalue() and "outbox" in out.getvalue()
    assert len(list((configured / "outbox").glob("*.eml"))) == 1

    assert send_command(digest=False, dry_run=False, out=io.StringIO()) == 0
    assert len(list((configured / "outbox").glob("*.eml"))) == 1


def test_send_digest_now(db: Database, configured: Path) -> None:
    pending(db, "내일 아침 요약 기사", due_in=timedelta(hours=12))
    assert send_command(digest=False, dry_run=False, out=io.StringIO()) == 0
    assert not list((configured / "outbox").glob("*.eml"))
    assert send_command(digest=True, dry_run=False, out=io.StringIO()) == 0
    assert len(list((configured / "outbox").glob("*.eml"))) == 1


def test_a_bad_recipients_file_is_exit_2(
    db: Database, configured: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[recipient]]\naddress = "nobody"\nwatchlists = ["medical-tourism"]\n', encoding="utf-8"
    )
    monkeypatch.setenv("NEWSWATCH_RECIPIENTS_FILE", str(bad))
    err = io.StringIO()
    assert send_command(digest=False, dry_run=False, out=io.StringIO(), err=err) == 2
    assert str(bad) in err.getvalue() and "recipient[1].address" in err.getvalue()


def test_digest_preview_renders_without_sending(
    db: Database, configured: Path, tmp_path: Path
) -> None:
    pending(db, "<b>의료관광</b> 설명회", due_in=timedelta(hours=12))
    target = tmp_path / "preview" / "digest.html"
    out = io.StringIO()
    assert digest_preview_command(target, out=out) == 0
    html = target.read_text(encoding="utf-8")
    assert "&lt;b&gt;의료관광&lt;/b&gt; 설명회" in html and "1개 매체 보도" in html
    assert "nothing sent" in out.getvalue()
    assert not (configured / "outbox").exists()

    with db.session() as s:  # a second recipient with pending alerts: both in one page, framed
        story = add_story(s, "구청 기사")
        add_alert(s, story, "district@gu.example", due_at=utcnow())
    assert digest_preview_command(target, out=io.StringIO()) == 0
    page = target.read_text(encoding="utf-8")
    assert page.count("<iframe") == 2 and "district@gu.example" in page and "<b>" not in page


def test_digest_preview_with_nothing_pending(
    db: Database, configured: Path, tmp_path: Path
) -> None:
    target = tmp_path / "digest.html"
    assert digest_preview_command(target, out=io.StringIO()) == 0
    assert "No pending alerts" in target.read_text(encoding="utf-8")
