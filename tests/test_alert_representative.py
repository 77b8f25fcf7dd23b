"""One story, three outlets: mail, dashboard and weekly report show the same article and figures.

The national ministry's copy came first with a lower score; the home region's paper (인천) came
later with a higher one. Everywhere the office reads, the story is the 인천 paper's headline, link
and score, rounded the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from crawler.alert.recipients import Recipient
from crawler.store.models import Alert, Article, Match, Story, StoryOutlet
from tests.test_alert_explain import WATCHLIST

WL = "medical-tourism"
REGISTRY = """
[[outlet]]
id = "korea-gov"
name = "정책브리핑"
region = "서울"
home = "https://korea-gov.example/"

[[outlet]]
id = "busanilbo"
name = "부산일보"
region = "부산"
home = "https://busanilbo.example/"

[[outlet]]
id = "incheonilbo"
name = "인천일보"
region = "인천"
home = "https://incheonilbo.example/"
"""
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)
COPIES = [  # outlet, minutes after T0, headline, score
    ("korea-gov", 0, "복지부, 외국인 환자 유치 설명회 개최", 25.27),
    ("busanilbo", 20, "부산서도 외국인 환자 유치 설명회", 21.0),
    ("incheonilbo", 90, "인천시, 외국인 환자 유치 설명회 참가…몽골 환자 상담", 30.04),
]


@pytest.fixture
def setup(db: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    (home / "outlets.toml").write_text(REGISTRY, encoding="utf-8")
    monkeypatch.setenv("NEWSWATCH_OUTLETS_FILE", str(home / "outlets.toml"))
    wl_dir = home / "watchlists"
    wl_dir.mkdir()
    (wl_dir / f"{WL}.toml").write_text(WATCHLIST, encoding="utf-8")
    monkeypatch.setenv("NEWSWATCH_WATCHLISTS_DIR", str(wl_dir))
    from crawler.match.watchlist import load_watchlist

    rule = load_watchlist(wl_dir / f"{WL}.toml").rules[0].describe()
    with db.session() as s:
        story = Story(title=COPIES[0][2], signature=b"", published_at=T0, first_seen_at=T0)
        s.add(story)
        s.flush()
        matches = []
        for i, (outlet, minutes, title, score) in enumerate(COPIES):
            at = T0 + timedelta(minutes=minutes)
            url = f"https://{outlet}.example/news/{i}"
            art = Article(outlet_id=outlet, url=url, url_key=f"{outlet}|{i}", canonical_url=url, title=title,
                          body=f"{title}. 외국인 환자 유치를 위한 설명회가 열렸다.", body_hash=f"h{i}",
                          family="ndsoft", published_at=at, first_seen_at=at, story_id=story.id)
            s.add(art)
            s.flush()
            s.add(StoryOutlet(story_id=story.id, outlet_id=outlet, article_id=art.id, first_seen_at=at))
            m = Match(article_id=art.id, watchlist_id=WL, score=score, relevant=True, rule=rule,
                      terms=["외국인 환자", "설명회"], explanation={"threshold": 6},
                      snippet_title=title, snippet_body="")
            s.add(m)
            s.flush()
            matches.append((art, m))
        art, m = matches[0]  # the alert was written when the ministry's copy matched first
        s.add(Alert(recipient="team@city.example", watchlist_id=WL, story_id=story.id, article_id=art.id,
                    match_id=m.id, due_at=T0))
        return {"story_id": story.id}


def test_mail_dashboard_and_export_agree(db: Any, setup: dict[str, Any]) -> None:
    from crawler.alert.compose import render_digest
    from crawler.alert.views import load_views
    from crawler.ops.export import build_report
    from crawler.registry import load_registry, outlet_names
    from crawler.web.queries import recent_stories

    with db.session() as s:
        alerts = list(s.query(Alert))
        (view,) = load_views(s, alerts, outlet_names()).values()
        (shown,) = recent_stories(s, load_registry().by_id(), now=datetime.now(UTC), days=7)
    today = datetime.now(ZoneInfo("Asia/Seoul")).date()
    (row,) = build_report(db, WL, today - timedelta(days=6), today).rows

    home_title = COPIES[2][2]
    assert view.title == shown.title == row.title == home_title
    assert view.url == shown.url == row.links[0] == "https://incheonilbo.example/news/2"
    assert view.score == shown.best.score == row.score == 30.04
    assert shown.outlets[0][1] == row.outlets[0] == "인천일보"  # the representative's outlet first
    assert view.published_at == shown.published_at == row.published == T0  # first publication: the ministry's
    assert view.level == shown.best.level == row.level == "높음"
    _, html, text = render_digest(Recipient(address="team@city.example", watchlists=(WL,)), [view], {WL: "의료관광"},
                                  datetime.now(UTC))
    assert home_title in text and "3개 매체 보도" in text and "관련도 높음" in text
    assert "외국인 환자 유치" in view.reason


def test_without_a_home_outlet_the_earliest_speaks(db: Any, setup: dict[str, Any]) -> None:
    from crawler.alert.views import representatives

    with db.session() as s:
        s.query(StoryOutlet).filter(StoryOutlet.outlet_id == "incheonilbo").delete()
        shown = representatives(s, {setup["story_id"]}, WL)[setup["story_id"]]
    assert shown.outlet_id == "korea-gov" and shown.score == 25.27



def test_an_excluded_outlet_never_speaks_for_the_story(db: Any, setup: dict[str, Any]) -> None:
    from crawler.alert.mutes import mute
    from crawler.alert.views import representatives

    with db.session() as s:
        mute(s, WL, "incheonilbo", recipient="team@city.example")
    with db.session() as s:
        shown = representatives(s, {setup["story_id"]}, WL)[setup["story_id"]]
    assert shown.outlet_id == "korea-gov"
