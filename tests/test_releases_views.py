"""The office's releases in the weekly export (XLSX, HTML) and on the dashboard: per release the
outlets that carried it by Korean name, Seoul time with the weekday and hours after release,
verbatim / trimmed / rewritten, regions, and the releases nobody carried. Korean texts are the
ones written for tests/test_releases.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import lxml.html
import openpyxl
import pytest

from crawler.alert.onstore import AlertsOnStore
from crawler.alert.recipients import load_recipients
from crawler.clock import korean_time
from crawler.commands.ops import main
from crawler.crawl.cpu import story_signature
from crawler.extract.cleanup import clean_record
from crawler.families import ID_RULES
from crawler.registry import load_registry
from crawler.releases import ReleaseText, add_release
from crawler.store.ingest import ingest
from crawler.types import ArticleRecord, Extracted
from crawler.web.app import make_app
from tests.support.ops import WATCHLIST_V1, WL, write_watchlist
from tests.support.web import call, setup_home
from tests.test_releases import FESTIVAL, FESTIVAL_TITLE, RECIPIENTS, REWRITE, TOUR, TOUR_TITLE

SEOUL = ZoneInfo("Asia/Seoul")
# two days ago at 10:00 in Seoul: inside this week's export and the dashboard's default days
RELEASED = datetime.now(SEOUL).replace(hour=10, minute=0, second=0, microsecond=0).astimezone(UTC) - timedelta(days=2)


@pytest.fixture
def home_setup(db: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A registry of 인천일보 (인천) and 경북매일 (경북), a watchlist, two releases: the tour carried
    verbatim by 인천일보 two hours later and rewritten by 경북매일 five hours later; the festival by nobody."""
    setup_home(home, monkeypatch)
    write_watchlist(home / "watchlists", WATCHLIST_V1)
    (home / "recipients.toml").write_text(RECIPIENTS, encoding="utf-8")
    monkeypatch.setenv("NEWSWATCH_RECIPIENTS_FILE", str(home / "recipients.toml"))
    with db.session() as s:
        add_release(s, ReleaseText(TOUR_TITLE, "\n".join(TOUR), "tour.txt", RELEASED))
        add_release(s, ReleaseText(FESTIVAL_TITLE, "\n".join(FESTIVAL), "festival.txt", RELEASED))
    people = load_recipients()
    for n, outlet, title, lines in ((2, "incheonilbo", TOUR_TITLE, TOUR),
                                    (5, "kbmaeil", "카자흐스탄 병원 관계자들, 해솔시 병원 찾는다", REWRITE)):
        when = RELEASED + timedelta(hours=n)
        ex = Extracted(title=title, body="\n".join(lines), published_at=when)
        url = f"https://{outlet}.example/news/{n}"
        rec = clean_record(ArticleRecord(outlet_id=outlet, url=url, request_url=url, family="ndsoft",
                                             extracted=ex, fetched_at=when), None, id_rules=ID_RULES)
        rec.signature, rec.story_features = story_signature(title, rec.extracted.body)
        with db.session() as s:
            ingest(s, rec, hooks=AlertsOnStore(people), seed=True, now=when)
    return db


def _range() -> list[str]:
    today = datetime.now(SEOUL).date()
    return ["--since", (today - timedelta(days=6)).isoformat(), "--until", today.isoformat()]


def test_weekly_html_export_shows_who_carried_each_release_and_who_nobody_did(home_setup: Any, tmp_path: Path) -> None:
    out = tmp_path / "주간.html"
    assert main(["export", "--watchlist", WL, *_range(), "--format", "html", "--out", str(out)]) == 0
    page = lxml.html.fromstring(out.read_text(encoding="utf-8"))
    assert page.get_element_by_id("releases").text_content().startswith("보도자료 반영 (2건)")
    sections = {s.findtext("h3").strip(): s for s in page.find_class("release")}
    tour = sections[TOUR_TITLE].text_content()
    assert korean_time(RELEASED) + " 배포" in tour  # "12월 5일(토) 10:00 배포": Seoul, with the weekday
    assert "2개 매체, 기사 2건" in tour and "지역: 경북, 인천" in tour
    rows = [[td.text_content().strip() for td in tr.findall("td")] for tr in sections[TOUR_TITLE].iter("tr")][1:]
    assert rows[0][:5] == ["인천일보", "인천", korean_time(RELEASED + timedelta(hours=2)), "2시간", "원문 그대로"]
    assert rows[1][0] == "경북매일" and rows[1][3] == "5시간" and rows[1][4].startswith("재작성")
    assert "incheonilbo" not in tour and "kbmaeil" not in tour  # outlets by their Korean name
    assert sections[FESTIVAL_TITLE].find_class("nobody")[0].text_content() == "아직 실은 매체가 없습니다."


def test_weekly_xlsx_export_has_a_release_sheet(home_setup: Any, tmp_path: Path) -> None:
    out = tmp_path / "주간.xlsx"
    assert main(["export", "--watchlist", WL, *_range(), "--format", "xlsx", "--out", str(out)]) == 0
    rows = list(openpyxl.load_workbook(out)["보도자료 반영"].iter_rows(values_only=True))
    assert rows[0][:3] == ("보도자료", "배포 일시 (서울)", "매체")
    carried = {r[2]: r for r in rows[1:] if r[0] == TOUR_TITLE}
    assert set(carried) == {"인천일보", "경북매일"}
    assert carried["인천일보"][3:7] == ("인천", korean_time(RELEASED + timedelta(hours=2)), "2시간", "원문 그대로")
    assert carried["경북매일"][6] == "재작성"
    assert [r[2] for r in rows[1:] if r[0] == FESTIVAL_TITLE] == ["아직 실은 매체가 없습니다."]


def test_a_release_outside_the_range_is_not_in_the_export(home_setup: Any, tmp_path: Path) -> None:
    out = tmp_path / "지난주.html"
    long_ago = (datetime.now(SEOUL).date() - timedelta(days=30)).isoformat()
    assert main(["export", "--watchlist", WL, "--since", long_ago, "--until", long_ago, "--format", "html",
                 "--out", str(out)]) == 0
    assert "보도자료 반영" not in out.read_text(encoding="utf-8")


def test_dashboard_shows_pickups_per_release(home_setup: Any) -> None:
    now = datetime.now(UTC)
    app = make_app(home_setup, load_registry().by_id(), clock=lambda: now)
    code, _headers, body = call(app)
    assert code == 200
    page = lxml.html.fromstring(body)
    section = page.get_element_by_id("releases")
    assert "보도자료 반영" in section.findtext("h2")
    cards = {a.findtext("h3"): a.text_content() for a in section.find_class("release")}
    tour = " ".join(cards[TOUR_TITLE].split())
    assert f"{korean_time(RELEASED + timedelta(hours=2))} (배포 2시간 뒤) · 원문 그대로" in tour
    assert "인천일보 (인천)" in tour and "경북매일 (경북)" in tour and "지역: 경북, 인천" in tour
    assert "아직 실은 매체가 없습니다." in cards[FESTIVAL_TITLE]
    # the period filter applies: a day's window ending before the release shows none of it
    later = make_app(home_setup, load_registry().by_id(), clock=lambda: now + timedelta(days=10))
    _code, _headers, body = call(later, query="days=1")
    assert TOUR_TITLE not in body and "이 기간에 등록한 보도자료가 없습니다" in body
