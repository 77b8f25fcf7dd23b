"""Korean typography as the office sees it: mail, dashboard, story and feedback pages and the weekly
report in headless Chromium.

At a phone width (390 px) and a desk width (1,000 px), no Hangul word may be broken across lines
(each word's `Range.getClientRects()` lies on one line) and nothing may overflow the page
sideways. A word longer than a phone line (the 2,000-character junk title) has to wrap and is
left out. Screenshots are kept under `$NEWSWATCH_HOME/artifacts/` (and copied to
NEWSWATCH_KEEP_ARTIFACTS when set) for a person to look at.

Playwright's sync API refuses to run where an asyncio loop exists (pytest-twisted's reactor),
so the browser runs in a worker thread.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.alert.compose import Envelope, FeedbackLinks, StoryView, render_digest
from crawler.alert.recipients import Maintainer, Recipient

WIDTHS = (390, 1000)
LONGEST_WORD = 20  # syllables; a longer "word" cannot fit a phone line and must wrap
NOW = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)  # 12월 7일(월) 08:30 in Seoul

MEASURE = """
() => {
  const broken = [];
  const re = /[\\uAC00-\\uD7A3]+/g;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const style = node.parentElement && getComputedStyle(node.parentElement);
    if (!style || style.display === "none" || style.visibility === "hidden") continue;
    let m;
    re.lastIndex = 0;
    while ((m = re.exec(node.nodeValue))) {
      if (m[0].length < 2 || m[0].length > LONGEST) continue;
      const r = document.createRange();
      r.setStart(node, m.index);
      r.setEnd(node, m.index + m[0].length);
      const rects = [...r.getClientRects()].filter(x => x.width > 0.5);
      if (!rects.length) continue;
      const top = Math.min(...rects.map(x => x.top));
      const bottom = Math.max(...rects.map(x => x.bottom));
      const lineHeight = Math.max(...rects.map(x => x.height));
      if (bottom - top > lineHeight * 1.5) broken.push(m[0]);
    }
  }
  return {broken, scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth};
}
""".replace("LONGEST", str(LONGEST_WORD))


def _story(story_id: int, title: str, outlets: list[tuple[str, str, datetime]], **kw: Any) -> StoryView:
    fields: dict[str, Any] = {
        "story_id": story_id, "title": title, "url": f"https://www.incheonilbo.example/news/{story_id}",
        "outlets": outlets, "published_at": NOW - timedelta(hours=2), "score": 21.0,
        "terms": ["외국인 환자", "우즈베키스탄"], "snippet_title": "",
        "snippet_body": "인천시는 7일 \x02우즈베키스탄\x03 타슈켄트에서 \x02외국인 환자\x03 유치 설명회를 열고 "
                        "현지 여행사와 병원 관계자 120명에게 인천의 건강검진·성형 상품을 소개했다.",
        "watchlist_id": "medical-tourism", "level": "높음", "reason": "외국인 환자 유치 + 해외 설명회 (제목)",
        "key_terms": ("외국인 환자", "우즈베키스탄", "설명회"), "mute_outlet": ("incheonilbo", "인천일보"),
    }
    fields.update(kw)
    return StoryView(**fields)


def mail_html() -> str:
    """One recipient's mail with the hard cases: long Korean words, emoji, markup, 40 outlets."""
    three = [("인천일보", "https://incheonilbo.example/1", NOW), ("달구벌새소식", "https://dalgu.example/1", NOW),
             ("<b>서남투데이</b>", "https://seonam.example/1", NOW)]
    forty = [(f"경기남부매일신문{i}", f"https://m{i}.example/1", NOW) for i in range(40)]
    stories = [
        _story(1, "인천시, 우즈베키스탄서 의료관광 팸투어 설명회…외국인 환자 유치 총력", three),
        _story(2, "🏥 인천 의료관광 홍보관 개관 ✨ 중앙아시아 관광객 맞이 😀", three[:1], level="보통"),
        _story(3, "외국인환자유치기관" * 230, three[:2]),  # a 2,000-character title without a space
        _story(4, "전국 지자체, 의료관광 특구 지정 경쟁 본격화", forty),
    ]
    team = Recipient(address="tourism@city.example", name="인천광역시 의료관광팀", watchlists=("medical-tourism",))
    envelope = Envelope(contacts=[Maintainer(address="ops@city.example", name="운영 담당")],
                        feedback=FeedbackLinks("https://newswatch.city.example"))
    _subject, html, _text = render_digest(team, stories, {"medical-tourism": "의료관광"}, NOW, envelope)
    return html


def web_pages(home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The dashboard, a story page and a feedback confirmation over a seeded SQLite store."""
    from urllib.parse import quote

    from crawler.alert.tokens import make_token
    from crawler.registry import load_registry
    from crawler.store import Database
    from crawler.web.app import make_app
    from tests.support.stories import WATCHLIST
    from tests.support.web import call, seed, setup_home

    setup_home(home, monkeypatch)
    db = Database.open(f"sqlite:///{home / 'typography.db'}")
    pages: dict[str, str] = {}
    try:
        now = datetime.now(UTC)
        seeded = seed(db, now)
        seed_releases(db, now)
        app = make_app(db, load_registry().by_id(), clock=lambda: now)
        token = make_token("team@example.org", WATCHLIST, seeded["a"], "mute-outlet", outlet_id="kbmaeil")
        for name, path, query in (("dashboard", "/", ""), ("story", "/story", f"id={seeded['a']}"),
                                  ("feedback", "/feedback", f"t={quote(token)}")):
            code, _, pages[name] = call(app, path, query)
            assert code == 200, pages[name]
    finally:
        db.close()
    return pages


RELEASE_TITLE = "인천광역시, 우즈베키스탄·카자흐스탄 의료관광 관계자 초청 팸투어…중앙아시아 외국인환자 유치 본격화"


def seed_releases(db: Any, now: datetime) -> None:
    """Two releases for the dashboard's "보도자료 반영": one carried (a long headline), one by nobody."""
    from sqlalchemy import select

    from crawler.store.models import Article, Release, ReleasePickup

    with db.session() as s:
        carried = Release(title=RELEASE_TITLE, body="-", text_hash="a", source="a.txt", released_at=now - timedelta(hours=8))
        s.add_all([carried, Release(title="인천시 의료관광 홍보관 개관 안내", body="-", text_hash="b", source="b.txt",
                                    released_at=now - timedelta(hours=6))])
        s.flush()
        for i, (article_id, outlet_id) in enumerate(s.execute(select(Article.id, Article.outlet_id).limit(2))):
            s.add(ReleasePickup(release_id=carried.id, article_id=article_id, outlet_id=outlet_id,
                                first_seen_at=now - timedelta(hours=6 - i), verbatim_share=0.83, kind="rewritten",
                                headline_changed=True, score=3.0, evidence="-"))


def release_rows() -> list[dict[str, Any]]:
    """The export's release section: a release carried by three outlets, one carried by nobody."""
    from crawler.releases import CarriedBy, ReleaseReport
    from crawler.releases.digest import echo_rows

    carried = ReleaseReport(1, RELEASE_TITLE, NOW - timedelta(days=2), [
        CarriedBy(f"o{i}", region, 3.0 + i, kind, 0.83, True, "우즈베키스탄 의료관광 관계자들, 인천 병원 둘러본다",
                  f"https://www.incheonilbo.example/news/articleView.html?idxno={2000 + i}")
        for i, (region, kind) in enumerate((("인천", "verbatim"), ("경기", "rewritten"), ("서울", "trimmed")))])
    nobody = ReleaseReport(2, "인천시 의료관광 홍보관 개관 안내", NOW - timedelta(days=1))
    return echo_rows([nobody, carried], {"o0": "인천일보", "o1": "경기남부매일신문", "o2": "서울신문"})


def export_html(tmp_path: Path) -> str:
    """The weekly report's HTML with long Korean reasons, many outlets and long links."""
    from crawler.ops.export import ExportRow, Report, write_html

    rows = [ExportRow(i, f"인천시, 우즈베키스탄서 의료관광 설명회 {i}", ["인천일보", "달구벌새소식", "경기남부매일신문"],
                      NOW - timedelta(days=i), "높음", 21.0 + i, "외국인 환자 유치 + 해외 설명회 (제목)",
                      ["외국인 환자", "우즈베키스탄", "설명회"],
                      [f"https://www.incheonilbo.example/news/articleView.html?idxno={1000 + i}"])
            for i in range(1, 6)]
    days = [((NOW - timedelta(days=6 - i)).date().isoformat(), 1) for i in range(7)]
    report = Report("medical-tourism", "의료관광", (NOW - timedelta(days=6)).date(), NOW.date(), rows, days,
                    [("인천일보", 5), ("달구벌새소식", 5), ("경기남부매일신문", 5)], release_rows())
    out = tmp_path / "report.html"
    write_html(report, out)
    return out.read_text(encoding="utf-8")


def _measure(chromium: str, pages: dict[str, str], shots: Path) -> dict[str, dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, Any]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            for name, html in pages.items():
                for width in WIDTHS:
                    page = browser.new_page(viewport={"width": width, "height": 900})
                    page.set_content(html, wait_until="load")
                    page.evaluate("document.fonts.ready")
                    results[f"{name}@{width}"] = page.evaluate(MEASURE)
                    page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
                    page.close()
        finally:
            browser.close()
    return results


@pytest.mark.browser
def test_no_hangul_word_is_broken_and_nothing_overflows(
    chromium: str, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the digest's "보도자료 반영" (a recipient with echo = true) with the export's release rows
    monkeypatch.setattr("crawler.alert.compose._release_echo", lambda _recipient, _now: release_rows())
    pages = {"mail": mail_html(), **web_pages(home, monkeypatch), "export": export_html(tmp_path)}
    for name in ("mail", "dashboard", "export"):  # the releases sections are measured too
        assert RELEASE_TITLE in pages[name] and "아직 실은 매체가 없습니다." in pages[name], name
    shots = home / "artifacts"
    shots.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=1) as pool:
        results = pool.submit(_measure, chromium, pages, shots).result(timeout=300)
    keep = os.environ.get("NEWSWATCH_KEEP_ARTIFACTS")
    if keep:  # a person looks at these after template changes (kept before judging: a failure needs them most)
        target = Path(keep)
        target.mkdir(parents=True, exist_ok=True)
        for shot in shots.glob("*.png"):
            (target / shot.name).write_bytes(shot.read_bytes())
    problems = {k: v for k, v in results.items() if v["broken"] or v["scrollWidth"] > v["width"]}
    assert not problems, problems
    for name in pages:
        for width in WIDTHS:
            assert (shots / f"{name}-{width}.png").stat().st_size > 10_000


def test_the_measure_finds_a_broken_word(chromium: str) -> None:
    """The check can fail: without keep-all, Chromium breaks Korean between any two syllables."""
    narrow = ("<html><body style='margin:0;width:130px;font-size:16px;word-break:normal'>"
              "<p>우즈베키스탄 의료관광 팸투어 설명회 외국인환자 유치기관</p></body></html>")
    kept = narrow.replace("word-break:normal", "word-break:keep-all;overflow-wrap:anywhere")

    def run() -> tuple[list[str], list[str]]:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page(viewport={"width": 390, "height": 400})
                page.set_content(narrow)
                bad = page.evaluate(MEASURE)["broken"]
                page.set_content(kept)
                good = page.evaluate(MEASURE)["broken"]
            finally:
                browser.close()
        return bad, good

    with ThreadPoolExecutor(max_workers=1) as pool:
        bad, good = pool.submit(run).result(timeout=120)
    assert bad and not good
