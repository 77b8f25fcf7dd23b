"""Press-release echo (crawler/releases): registering releases, refusing what cannot be traced,
recording pick-ups at ingest and the report. Korean texts here are written for the tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from crawler.alert.onstore import AlertsOnStore
from crawler.alert.recipients import load_recipients
from crawler.crawl.cpu import story_signature
from crawler.errors import ConfigError
from crawler.extract.cleanup import clean_record
from crawler.families import ID_RULES
from crawler.releases import (
    ReleaseError,
    ReleaseText,
    add_release,
    import_folder,
    read_release,
    render_report,
    report,
    window_days,
)
from crawler.store.ingest import ingest
from crawler.store.models import Release, ReleasePickup
from crawler.types import ArticleRecord, Extracted

RECIPIENTS = """
[[recipient]]
address = "team@example.org"
watchlists = ["medical-tourism"]
mode = "immediate"
immediate_min_score = 0.0
quiet_hours = ""
"""

RELEASED = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 10:00 in Korea

TOUR_TITLE = "해솔시, 카자흐스탄 의료관광 관계자 초청 팸투어"
TOUR = [
    "해솔시는 오는 8일부터 11일까지 카자흐스탄 의료관광 관계자 11명을 초청해 팸투어를 진행한다고 1일 밝혔다.",
    "방문단은 알마티와 아스타나의 여행사 대표, 현지 병원 국제협력 담당자, 의료관광 전문 기자로 꾸려졌다.",
    "일행은 해솔대학교병원과 바른척추병원, 맑은눈안과 등 협력 의료기관 5곳에서 검진과 시술 과정을 둘러본다.",
    "시는 지난해 카자흐스탄 환자 1240명이 해솔시 의료기관을 찾아 전년보다 31% 늘었다고 설명했다.",
    "방문단은 해솔항 야경 투어와 전통시장 체험에도 참여해 치료와 관광을 잇는 상품을 직접 살핀다.",
    "시 관계자는 \"중앙아시아 환자들이 믿고 찾는 의료관광 도시가 되도록 현지 네트워크를 넓히겠다\"고 말했다.",
]
FESTIVAL_TITLE = "해솔시, 제3회 해솔 바다빛 축제 14일 개막"
FESTIVAL = [
    "해솔시는 제3회 해솔 바다빛 축제를 오는 14일부터 16일까지 해솔항 일원에서 연다고 1일 밝혔다.",
    "올해 축제는 드론 300대가 밤바다를 수놓는 불빛 쇼와 시민 500명이 참여하는 바다 행진으로 꾸며진다.",
    "축제 기간 해솔항과 원도심을 오가는 무료 셔틀버스 6대가 20분 간격으로 운행한다.",
    "시는 지난해 축제에 관광객 18만명이 찾아 지역경제 효과가 72억원에 이른 것으로 집계했다.",
]
REWRITE = [
    "카자흐스탄 병원 관계자와 여행사 대표들이 해솔시 병원을 직접 둘러본다.",
    "해솔시에 따르면 알마티와 아스타나에서 오는 방문단 11명이 8일부터 11일까지 머물며 협력 의료기관 5곳을 찾는다.",
    "지난해 해솔시 의료기관을 이용한 카자흐스탄 환자는 1240명으로 1년 새 31% 늘었다.",
    "일행은 해솔대학교병원과 바른척추병원, 맑은눈안과에서 검진 과정을 살펴본다.",
    "지역 의료계는 이번 초청이 중앙아시아 환자 유치의 발판이 되길 기대하고 있다.",
    "해솔대학교병원 국제진료센터는 러시아어 통역 코디네이터를 두 명 늘려 방문단을 맞는다.",
]
UNRELATED = [
    "해솔시교육청은 내년 3월부터 초등학교 1학년 돌봄교실을 오후 8시까지 연장 운영한다고 밝혔다.",
    "교육청은 돌봄 전담사 120명을 추가 채용하고 교실 45곳의 시설을 고친다.",
    "학부모 설문에서 응답자의 68%가 저녁 돌봄이 필요하다고 답했다.",
]


@pytest.fixture(autouse=True)
def recipients(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "recipients.toml"
    path.write_text(RECIPIENTS, encoding="utf-8")
    monkeypatch.setenv("NEWSWATCH_RECIPIENTS_FILE", str(path))


def release(title: str, lines: list[str], source: str = "test.txt") -> ReleaseText:
    return ReleaseText(title, "\n".join(lines), source, RELEASED)


def record(n: int, outlet: str, title: str, lines: list[str]) -> ArticleRecord:
    ex = Extracted(title=title, body="\n".join(lines), published_at=RELEASED + timedelta(hours=n))
    rec = clean_record(ArticleRecord(
        outlet_id=outlet, url=f"http://127.0.0.1:9/news/articleView.html?idxno={n}",
        request_url=f"http://127.0.0.1:9/news/articleView.html?idxno={n}", family="ndsoft", extracted=ex,
        fetched_at=RELEASED + timedelta(hours=n)), None, id_rules=ID_RULES)  # fmt: skip
    rec.signature, rec.story_features = story_signature(title, rec.extracted.body)
    return rec


def store(db: Any, *recs_at: tuple[ArticleRecord, float]) -> None:
    people = load_recipients()
    for rec, hours in recs_at:
        with db.session() as session:
            ingest(session, rec, hooks=AlertsOnStore(people), seed=True, now=RELEASED + timedelta(hours=hours))


def pickups(db: Any) -> list[tuple[int, str, str, bool]]:
    with db.sessions() as s:
        rows = s.execute(select(ReleasePickup.release_id, ReleasePickup.outlet_id, ReleasePickup.kind,
                                ReleasePickup.headline_changed).order_by(ReleasePickup.id))  # fmt: skip
        return [tuple(r) for r in rows]  # type: ignore[misc]


# ---------------------------------------------------------------- bad input


def test_a_release_of_one_sentence_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "short.txt"
    path.write_text(TOUR_TITLE + "\n" + TOUR[0] + "\n", encoding="utf-8")
    with pytest.raises(ReleaseError, match="1 sentence"):
        read_release(str(path))


def test_a_list_of_events_is_refused_and_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "events.txt"
    path.write_text(
        "12월 해솔시 문화행사 안내\n"
        "- 12월 3일 해솔아트홀 송년 음악회가 열립니다.\n"
        "- 12월 7일 원도심 골목 야시장이 문을 엽니다.\n"
        "- 12월 14일 해솔 바다빛 축제가 개막합니다.\n"
        "- 12월 21일 시민 합창 대회가 시청 광장에서 열립니다.\n"
        "- 12월 31일 해솔항 제야의 종 타종 행사가 열립니다.\n",
        encoding="utf-8",
    )
    with pytest.raises(ReleaseError, match="list of events") as info:
        read_release(str(path))
    assert "each event" in str(info.value)


@pytest.mark.parametrize(
    ("name", "content"),
    [("release.pdf", b"%PDF-1.7 ..."), ("release.hwp", b"\xd0\xcf\x11\xe0 hwp"),
     ("looks-like-text.txt", b"%PDF-1.4 a pdf saved under another name")],
)  # fmt: skip
def test_an_attachment_is_not_supported_and_the_message_says_how_to_paste(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ReleaseError, match="not supported") as info:
        read_release(str(path))
    assert "copy its text into a .txt file" in str(info.value)


def test_the_same_release_added_twice_is_stored_once(db: Any) -> None:
    with db.session() as s:
        first = add_release(s, release(TOUR_TITLE, TOUR))
    with db.session() as s:  # re-saved with another headline and spacing: the same release
        again = add_release(s, release("[보도자료] " + TOUR_TITLE, [" " + line for line in TOUR]))
    assert first.created and not again.created and again.release_id == first.release_id
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Release)) == 1


def test_the_window_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert window_days() == 14
    monkeypatch.setenv("NEWSWATCH_RELEASE_WINDOW_DAYS", "two weeks")
    with pytest.raises(ConfigError, match="NEWSWATCH_RELEASE_WINDOW_DAYS.*whole number"):
        window_days()


# ---------------------------------------------------------------- pick-ups at ingest


def test_pickups_are_recorded_with_how_much_of_the_release_was_carried(db: Any) -> None:
    with db.session() as s:
        tour = add_release(s, release(TOUR_TITLE, TOUR)).release_id
        add_release(s, release("해솔시, 겨울철 도로 제설 대책 마련", [
            "해솔시는 겨울철 폭설에 대비해 제설 장비 85대와 염화칼슘 1200톤을 확보했다고 1일 밝혔다.",
            "시는 읍면동별 제설 전담반 24개 조를 꾸려 눈이 오면 즉시 출동하게 했다.",
        ]))  # fmt: skip
    store(
        db,
        (record(1, "demo-busan", TOUR_TITLE, TOUR), 2),  # verbatim
        (record(2, "demo-incheon", "카자흐 의료관광 관계자들 해솔 온다", TOUR[:3]), 5),  # trimmed
        (record(30, "demo-daegu", "중앙아시아 환자 잡는다…해솔시 병원 투어", REWRITE), 30),
        (record(4, "demo-gwangju", "해솔 돌봄교실 저녁 8시까지", UNRELATED), 3),
    )
    assert pickups(db) == [
        (tour, "demo-busan", "verbatim", False),
        (tour, "demo-incheon", "trimmed", True),
        (tour, "demo-daegu", "rewritten", True),
    ]
    with db.sessions() as s:
        reports = report(s, regions={"demo-busan": "부산", "demo-incheon": "인천", "demo-daegu": "대구"})
    text = render_report(reports)
    assert "3 article(s) in 3 outlet(s)" in text and "regions: 대구, 부산, 인천" in text
    assert "+  30.0 h" in text
    assert "nobody carried it" in text  # the snow-removal release


def test_an_article_that_carries_two_releases_is_a_pickup_of_each(db: Any) -> None:
    with db.session() as s:
        tour = add_release(s, release(TOUR_TITLE, TOUR)).release_id
        festival = add_release(s, release(FESTIVAL_TITLE, FESTIVAL)).release_id
    roundup = ["[해솔 소식]", *TOUR[:3], "또 다른 소식이다.", *FESTIVAL[:3]]
    store(db, (record(1, "demo-busan", "해솔시 이번 주 소식", roundup), 4))
    assert sorted(r[0] for r in pickups(db)) == sorted([tour, festival])


def test_a_release_older_than_the_window_is_not_compared(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWATCH_RELEASE_WINDOW_DAYS", "1")
    with db.session() as s:
        add_release(s, release(TOUR_TITLE, TOUR))
    store(db, (record(1, "demo-busan", TOUR_TITLE, TOUR), 72))
    assert pickups(db) == []


def test_the_releases_folder_registers_files_and_sets_refused_ones_aside(db: Any, tmp_path: Path) -> None:
    folder = tmp_path / "releases"
    folder.mkdir()
    (folder / "tour.txt").write_text(TOUR_TITLE + "\n" + "\n".join(TOUR), encoding="utf-8")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.7")
    done = dict(import_folder(db, folder))
    assert done["tour.txt"].startswith("release #")
    assert done["scan.pdf"].startswith("refused:")
    assert (folder / "added" / "tour.txt").exists()
    assert "not supported" in (folder / "refused" / "scan.pdf.reason.txt").read_text(encoding="utf-8")
    assert import_folder(db, folder) == []  # nothing left to do


# ---------------------------------------------------------------- the digest section


def test_the_digest_has_a_release_section_only_for_recipients_who_ask(db: Any) -> None:
    from crawler.alert.compose import render_digest
    from crawler.alert.recipients import Recipient
    from crawler.alert.views import StoryView

    with db.session() as s:
        add_release(s, release(TOUR_TITLE, TOUR))
        add_release(s, release(FESTIVAL_TITLE, FESTIVAL))
    store(db, (record(2, "demo-incheon", "카자흐 의료관광 관계자들 해솔 온다", TOUR[:3]), 5))
    story = StoryView(story_id=1, title="해솔시 팸투어", url="https://a.example/1",
                      outlets=[("인천누리", "https://a.example/1", RELEASED)], published_at=RELEASED,
                      score=15.0, terms=["팸투어"], snippet_title="", snippet_body="팸투어",
                      watchlist_id="medical-tourism")  # fmt: skip
    now = RELEASED + timedelta(days=1)
    asked = Recipient(address="office@city.example", watchlists=("medical-tourism",), echo=True)
    _subject, html, text = render_digest(asked, [story], {"medical-tourism": "의료관광"}, now)
    assert "보도자료 반영 · 2건" in text and "보도자료 반영 · 2건" in html
    assert "demo-incheon · 배포 2시간 뒤 · 일부 발췌" in text  # its own time, not the crawl's
    assert "아직 실은 매체가 없습니다." in text  # the festival release
    plain = Recipient(address="desk@city.example", watchlists=("medical-tourism",))
    _subject, html, text = render_digest(plain, [story], {"medical-tourism": "의료관광"}, now)
    assert "보도자료 반영" not in text and "보도자료 반영" not in html


def _release_page() -> str:
    paragraphs = "".join(f"<p>{line}</p>" for line in TOUR)
    return (
        f"<html><head><meta charset='utf-8'><title>{TOUR_TITLE}</title></head><body>"
        f"<article><h1>{TOUR_TITLE}</h1>{paragraphs}</article></body></html>"
    )


def test_a_release_is_read_from_a_saved_page_and_from_its_address(tmp_path: Path) -> None:
    import http.server
    import threading

    page = tmp_path / "release.html"
    page.write_text(_release_page(), encoding="utf-8")
    from_file = read_release(str(page), date="2026-12-01")
    assert from_file.title == TOUR_TITLE and "1240명" in from_file.body
    assert from_file.released_at.isoformat() == "2026-12-01T00:00:00+09:00"

    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/release.html"
        from_url = read_release(url, title="시 보도자료: 카자흐스탄 팸투어")
        assert from_url.title == "시 보도자료: 카자흐스탄 팸투어" and "1240명" in from_url.body
        with pytest.raises(ReleaseError, match="could not fetch"):
            read_release(url.replace("release.html", "missing.html"))
    finally:
        server.shutdown()
        server.server_close()
