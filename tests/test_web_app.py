"""The dashboard's pages, called as a WSGI app on both database backends."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select
from test_alert_support import WATCHLIST
from test_web_support import HOSTILE_TITLE, TITLE_A, TITLE_B, call, seed, setup_home

from crawler.ops.feedback import SignedFeedbackLinks
from crawler.ops.models import Label, OutletMute
from crawler.ops.tokens import make_token
from crawler.registry import load_registry
from crawler.web.app import make_app
from crawler.web.render import marked


@pytest.fixture
def app(db: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    setup_home(home, monkeypatch)
    now = datetime.now(UTC)
    app = make_app(db, load_registry().by_id(), clock=lambda: now)
    app.seeded = seed(db, now)  # type: ignore[attr-defined]
    return app


def test_dashboard_groups_matches_by_story(app: Any) -> None:
    code, headers, body = call(app)
    assert code == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert TITLE_A in body and TITLE_B in body
    assert "2개 매체 보도" in body and "1개 매체 보도" in body
    assert "인천일보, 경북매일" in body  # outlet names from the registry, first carrier first
    assert "<mark>의료관광</mark>" in body and "<mark>팸투어</mark>" in body
    assert "규칙: core-term" in body and "일치한 검색어: 의료관광, 팸투어" in body
    assert "점수 <span class=\"score\">15.0</span>" in body
    assert re.search(r"보도 \d{4}-\d\d-\d\d \([월화수목금토일]\) \d\d:\d\d", body)
    # the story with the newest match comes first, the label shows on story A
    assert body.index(HOSTILE_TITLE.replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")
                      .replace("& ", "&amp; ")) < body.index(TITLE_A)
    story_a = body[body.index(f'id="story-{app.seeded["a"]}"'):]
    assert '<span class="label relevant"' in story_a.split("</article>")[0]


def test_hostile_stored_text_is_escaped(app: Any) -> None:
    _, _, body = call(app)
    assert "<script>" not in body and "<img" not in body
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt; <mark>의료관광</mark> &lt;/mark&gt;&lt;script&gt;x&lt;/script&gt;" in body


def test_marked_escapes_before_marking() -> None:
    assert str(marked("a<b \x02c&d\x03 \x03e\x02")) == "a&lt;b <mark>c&amp;d</mark> e"
    assert str(marked("\x02" + "가" * 500 + "\x03", limit=10)).endswith("…</mark>")


def test_filter_by_watchlist_and_days(app: Any) -> None:
    _, _, body = call(app, query=f"watchlist={WATCHLIST}")
    assert TITLE_A in body and "alert(" not in body
    _, _, body = call(app, query="watchlist=other-list&days=1")
    assert "alert(" in body and TITLE_A not in body
    assert '<option value="other-list" selected>' in body


def test_days_window_excludes_old_matches(app: Any, db: Any) -> None:
    from crawler.store.models import Match

    with db.session() as s:
        for m in s.scalars(select(Match)):
            m.matched_at = datetime.now(UTC) - timedelta(days=10)
    _, _, body = call(app, query="days=7")
    assert "이 기간에 관련 기사가 없습니다" in body
    _, _, body = call(app, query="days=30")
    assert TITLE_A in body


def test_health_and_run_history(app: Any) -> None:
    _, _, body = call(app)
    health = body[body.index('id="health"'):body.index('id="runs"')]
    assert 'id="outlet-incheonilbo"' in health and "인천일보" in health and "경북매일" in health
    assert "최근 7일 신규" in health and "건</td>" in health
    runs = body[body.index('id="runs"'):]
    assert "<svg" in runs and "<polyline" in runs and "인천일보 (" in runs
    assert runs.count("<tr>") >= 14  # header + 14 runs


def test_empty_store(db: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setup_home(home, monkeypatch)
    code, _, body = call(make_app(db, load_registry().by_id()))
    assert code == 200
    assert "이 기간에 관련 기사가 없습니다" in body and "수집 기록이 없습니다" in body


def test_feedback_records_label(app: Any, db: Any) -> None:
    links = SignedFeedbackLinks("http://127.0.0.1:8650")
    url = links.url(recipient="team@example.org", watchlist_id=WATCHLIST, story_id=app.seeded["b"], relevant=False)
    code, headers, body = call(app, "/feedback", url.split("?", 1)[1])
    assert code == 200, body
    assert "관련 없음" in body and TITLE_B in body and "team@example.org" not in body
    assert headers["Cache-Control"] == "no-store"
    with db.session() as s:
        label = s.scalars(select(Label).where(Label.story_id == app.seeded["b"])).one()
        assert (label.verdict, label.source, label.recipient) == ("irrelevant", "mail", "team@example.org")
    _, _, page = call(app)
    story_b = page[page.index(f'id="story-{app.seeded["b"]}"'):].split("</article>")[0]
    assert '<span class="label irrelevant"' in story_b


def test_feedback_mute_outlet(app: Any, db: Any) -> None:
    links = SignedFeedbackLinks("http://127.0.0.1:8650")
    url = links.mute_url(recipient="team@example.org", watchlist_id=WATCHLIST, story_id=app.seeded["a"],
                         outlet_id="kbmaeil")
    code, _, body = call(app, "/feedback", url.split("?", 1)[1])
    assert code == 200 and "경북매일" in body and "제외" in body
    with db.session() as s:
        assert s.get(OutletMute, (WATCHLIST, "kbmaeil")) is not None


def test_feedback_head_records_nothing(app: Any, db: Any) -> None:
    token = make_token("team@example.org", WATCHLIST, app.seeded["b"], "relevant")
    code, _, body = call(app, "/feedback", f"t={quote(token)}", method="HEAD")
    assert code == 200 and body == ""
    with db.session() as s:
        assert s.scalars(select(Label).where(Label.story_id == app.seeded["b"])).first() is None


@pytest.mark.parametrize("kind", ["forged", "expired", "tampered", "garbage", "missing"])
def test_feedback_rejects_bad_tokens(app: Any, db: Any, kind: str) -> None:
    sid = app.seeded["b"]
    good = make_token("team@example.org", WATCHLIST, sid, "relevant")
    token = {
        "forged": make_token("team@example.org", WATCHLIST, sid, "relevant", secret=b"another-installation-key"),
        "expired": make_token("team@example.org", WATCHLIST, sid, "relevant",
                              now=datetime.now(UTC) - timedelta(days=40)),
        "tampered": good.split(".")[0][:-2] + "xx." + good.split(".")[1],
        "garbage": "<script>alert(1)</script>",
        "missing": "",
    }[kind]
    code, _, body = call(app, "/feedback", f"t={quote(token)}")
    assert code == 400
    assert "피드백" in body and ("feedback" in body.lower())
    assert "<script>alert" not in body
    with db.session() as s:
        assert s.scalars(select(Label).where(Label.story_id == sid)).first() is None


def test_feedback_for_a_deleted_story(app: Any, db: Any) -> None:
    token = make_token("team@example.org", WATCHLIST, 999_999, "relevant")
    code, _, body = call(app, "/feedback", f"t={quote(token)}")
    assert code == 404 and "더 이상 저장되어 있지 않습니다" in body


def test_token_reaches_nothing_else(app: Any) -> None:
    token = make_token("team@example.org", WATCHLIST, app.seeded["b"], "relevant")
    for path in ("/admin", "/feedback/", "/label", "/../feedback"):
        code, _, _ = call(app, path, f"t={quote(token)}")
        assert code == 404
    code, headers, _ = call(app, "/feedback", f"t={quote(token)}", method="POST")
    assert code == 405 and headers["Allow"] == "GET, HEAD"


def test_healthz(app: Any) -> None:
    code, headers, body = call(app, "/healthz")
    assert (code, body) == (200, "ok\n") and headers["Content-Type"].startswith("text/plain")
