"""The dashboard's pages, called as a WSGI app on both database backends."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from crawler.alert.tokens import SignedFeedbackLinks, make_token
from crawler.registry import load_registry
from crawler.store.models import Label, OutletMute
from crawler.web.app import make_app
from crawler.web.render import marked
from tests.support.stories import WATCHLIST
from tests.support.web import TITLE_A, TITLE_B, call, seed, setup_home


@pytest.fixture
def app(db: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    setup_home(home, monkeypatch)
    now = datetime.now(UTC)
    app = make_app(db, load_registry().by_id(), clock=lambda: now)
    app.seeded = seed(db, now)  # type: ignore[attr-defined]
    return app


def test_dashboard_lists_recent_stories_in_the_offices_words(app: Any) -> None:
    code, headers, body = call(app)
    assert code == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert TITLE_A in body and TITLE_B in body
    assert "2개 매체 보도" in body and "1개 매체 보도" in body
    story_a = body[body.index(f'id="story-{app.seeded["a"]}"'):].split("</article>")[0]
    # outlet names from the registry, each linked, the representative (earliest here) first
    assert re.search(r">인천일보</a>, <a [^>]+>경북매일</a>", story_a)
    assert "incheonilbo" not in story_a.split("/story?id=")[0].replace("incheonilbo.example", "")
    assert "<mark>의료관광</mark>" in body and "<mark>팸투어</mark>" in body
    assert "관련도 보통" in story_a and "핵심어: 의료관광, 팸투어" in story_a
    assert 'class="score">15.0</span>' in story_a
    assert "required" not in body and "rule bonus" not in body  # no developer text on the front page
    assert re.search(r"\d{1,2}월 \d{1,2}일\([월화수목금토일]\) \d\d:\d\d", story_a)
    assert "아직 메일로 보내지 않음" in story_a
    assert f'href="/story?id={app.seeded["a"]}"' in story_a
    # newest first publication first: hostile (1 h ago), A (3 h), B (5 h)
    hostile = f'id="story-{app.seeded["hostile"]}"'
    assert body.index(hostile) < body.index(f'id="story-{app.seeded["a"]}"') < body.index(
        f'id="story-{app.seeded["b"]}"')
    assert '<span class="label relevant"' in story_a


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


def test_days_window_goes_by_first_publication(app: Any, db: Any) -> None:
    """A story first published 10 days ago is not recent, however recently it was crawled or matched."""
    from crawler.store.models import Story

    with db.session() as s:
        for story in s.scalars(select(Story)):
            story.published_at = datetime.now(UTC) - timedelta(days=10)
    _, _, body = call(app, query="days=7")
    assert "이 기간에 처음 보도된 관련 보도가 없습니다" in body
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
    assert "이 기간에 처음 보도된 관련 보도가 없습니다" in body and "수집 기록이 없습니다" in body


def post(app: Any, path: str, form: str, ctype: str = "application/x-www-form-urlencoded") -> tuple[int, dict[str, str], str]:
    """POST an urlencoded form to the WSGI app."""
    import io

    from tests.support.web import environ

    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    env = environ(path, "", "POST")
    data = form.encode("ascii")
    env.update({"CONTENT_TYPE": ctype, "CONTENT_LENGTH": str(len(data)), "wsgi.input": io.BytesIO(data)})
    body = b"".join(app(env, start_response)).decode("utf-8")
    return int(seen["status"].split()[0]), seen["headers"], body


def labels(db: Any, story_id: int) -> list[tuple[str, str]]:
    with db.session() as s:
        return [(lb.recipient, lb.verdict) for lb in s.scalars(select(Label).where(Label.story_id == story_id)
                                                                 .order_by(Label.id))]


def test_a_feedback_link_opens_a_confirmation_and_only_the_post_records(app: Any, db: Any) -> None:
    links = SignedFeedbackLinks("http://127.0.0.1:8650")
    url = links.url(recipient="team@example.org", watchlist_id=WATCHLIST, story_id=app.seeded["b"], relevant=False)
    query = url.split("?", 1)[1]
    for method in ("GET", "HEAD", "GET"):  # a mail scanner opens every link, some twice
        code, headers, body = call(app, "/feedback", query, method=method)
        assert code == 200
    assert labels(db, app.seeded["b"]) == []
    _, _, page = call(app, "/feedback", query)
    assert "관련 없음으로 기록" in page and '<form method="post" action="/feedback">' in page
    assert TITLE_B in page and "team@example.org" not in page
    assert not re.search(r"[A-Za-z]{4,} [a-z]{3,} [a-z]{3,}", page.split("<body>")[1].replace("newswatch", ""))
    code, headers, body = post(app, "/feedback", query)
    assert code == 200, body
    assert "관련 없음" in body and "다시 보내지 않습니다" in body
    assert headers["Cache-Control"] == "no-store"
    assert labels(db, app.seeded["b"]) == [("team@example.org", "irrelevant")]
    _, _, page = call(app)
    story_b = page[page.index(f'id="story-{app.seeded["b"]}"'):].split("</article>")[0]
    assert '<span class="label irrelevant"' in story_b


def test_one_label_per_recipient_and_story_the_last_vote_wins(app: Any, db: Any) -> None:
    sid = app.seeded["b"]
    no = make_token("team@example.org", WATCHLIST, sid, "irrelevant")
    yes = make_token("team@example.org", WATCHLIST, sid, "relevant")
    other = make_token("district@example.org", WATCHLIST, sid, "irrelevant")
    for token in (no, no, yes, no, yes):  # a replayed link, then a changed mind
        assert post(app, "/feedback", f"t={quote(token)}")[0] == 200
    assert labels(db, sid) == [("team@example.org", "relevant")]
    assert post(app, "/feedback", f"t={quote(other)}")[0] == 200
    assert sorted(labels(db, sid)) == [("district@example.org", "irrelevant"), ("team@example.org", "relevant")]


def test_feedback_mute_outlet(app: Any, db: Any) -> None:
    links = SignedFeedbackLinks("http://127.0.0.1:8650")
    url = links.mute_url(recipient="team@example.org", watchlist_id=WATCHLIST, story_id=app.seeded["a"],
                         outlet_id="kbmaeil")
    code, _, body = call(app, "/feedback", url.split("?", 1)[1])
    assert code == 200 and "경북매일" in body and "이 매체 제외" in body
    with db.session() as s:
        assert s.get(OutletMute, (WATCHLIST, "kbmaeil")) is None  # opening the link mutes nothing
    code, _, body = post(app, "/feedback", url.split("?", 1)[1])
    assert code == 200 and "경북매일" in body
    with db.session() as s:
        assert s.get(OutletMute, (WATCHLIST, "kbmaeil")) is not None


@pytest.mark.parametrize("kind", ["forged", "expired", "tampered", "other-recipient", "garbage", "missing"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_feedback_rejects_bad_tokens(app: Any, db: Any, kind: str, method: str) -> None:
    import base64
    import json

    sid = app.seeded["b"]
    good = make_token("team@example.org", WATCHLIST, sid, "relevant")
    body_part, sig = good.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body_part + "=" * (-len(body_part) % 4)))
    payload["r"] = "district@example.org"  # someone else's name on my signed vote
    other = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode() + "." + sig
    token = {
        "forged": make_token("team@example.org", WATCHLIST, sid, "relevant", secret=b"another-installation-key"),
        "expired": make_token("team@example.org", WATCHLIST, sid, "relevant",
                              now=datetime.now(UTC) - timedelta(days=40)),
        "tampered": good.split(".")[0][:-2] + "xx." + good.split(".")[1],
        "other-recipient": other,
        "garbage": "<script>alert(1)</script>",
        "missing": "",
    }[kind]
    if method == "GET":
        code, _, body = call(app, "/feedback", f"t={quote(token)}")
    else:
        code, _, body = post(app, "/feedback", f"t={quote(token)}")
    assert code == 400
    assert "링크" in body and "단추" in body  # what to do, in Korean
    assert "<script>alert" not in body
    assert labels(db, sid) == []


def test_feedback_for_a_deleted_story(app: Any, db: Any) -> None:
    token = make_token("team@example.org", WATCHLIST, 999_999, "relevant")
    code, _, body = call(app, "/feedback", f"t={quote(token)}")
    assert code == 404 and "더 이상 저장되어 있지 않습니다" in body
    code, _, body = post(app, "/feedback", f"t={quote(token)}")
    assert code == 404 and "기록하지 못했습니다" in body


def test_token_reaches_nothing_else(app: Any) -> None:
    token = make_token("team@example.org", WATCHLIST, app.seeded["b"], "relevant")
    for path in ("/admin", "/feedback/", "/label", "/../feedback"):
        code, _, _ = call(app, path, f"t={quote(token)}")
        assert code == 404
    code, headers, _ = post(app, "/", f"t={quote(token)}")
    assert code == 405 and headers["Allow"] == "GET, HEAD"
    code, _, _ = post(app, "/feedback", f"t={quote(token)}", ctype="text/plain")
    assert code == 400


def test_feedback_only_serves_feedback_and_health(db: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setup_home(home, monkeypatch)
    now = datetime.now(UTC)
    seeded = seed(db, now)
    app = make_app(db, load_registry().by_id(), clock=lambda: now, feedback_only=True)
    for path in ("/", "/story", "/outlet"):
        assert call(app, path, f"id={seeded['a']}")[0] == 404
    token = make_token("team@example.org", WATCHLIST, seeded["a"], "relevant")
    assert call(app, "/feedback", f"t={quote(token)}")[0] == 200
    assert post(app, "/feedback", f"t={quote(token)}")[0] == 200
    assert call(app, "/healthz")[:3:2] == (200, "ok\n")


def test_healthz_checks_the_database(app: Any) -> None:
    code, headers, body = call(app, "/healthz")
    assert (code, body) == (200, "ok\n") and headers["Content-Type"].startswith("text/plain")

    class Down:
        def session(self) -> Any:
            raise OSError("connection refused")

    broken = make_app(Down(), {})
    code, _, body = call(broken, "/healthz")
    assert code == 503 and "database" in body


def test_story_page_shows_outlets_versions_labels_and_mail(app: Any) -> None:
    code, _, body = call(app, "/story", f"id={app.seeded['a']}")
    assert code == 200
    assert TITLE_A in body and "인천일보" in body and "경북매일" in body
    assert "보도한 매체와 기사 판" in body and "관련 있음" in body
    assert call(app, "/story", "id=999999")[0] == 404
    assert call(app, "/story", "id=abc")[0] == 400


def test_outlet_page_shows_health_and_recent_articles(app: Any) -> None:
    code, _, body = call(app, "/outlet", "id=incheonilbo")
    assert code == 200
    assert "인천일보" in body and "최근 기사" in body and TITLE_A in body and "상태:" in body
    assert call(app, "/outlet", "id=nope")[0] == 404
