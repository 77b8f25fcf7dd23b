"""Dedupe layer 2, the same article edited: the revisit policy finds the edit, a new version is
stored and re-matched, and the story is mailed again only when its match changed materially.
"""

from __future__ import annotations

import email
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from crawler.crawl.revisit import entry_changed
from crawler.dedupe.revisions import PreviousMatch, material_change, text_change
from crawler.demosites import SiteServer
from crawler.demosites.content import KST, DemoArticle
from crawler.extract.discovery import Entry
from crawler.store.crawlstate import StoredEntry
from crawler.store.models import Alert, Article, ArticleVersion, Match
from tests.support.cli import FAST, cli_env, newswatch
from tests.support.sites import StartSites, log_length, requests_by_outlet

TITLE = "인천시, 중앙아시아 외국인 환자 유치 나선다"
BODY = "\n".join([
    "인천시가 카자흐스탄과 우즈베키스탄에서 외국인 환자 유치 설명회를 연다.",
    "시는 다음 달 알마티와 타슈켄트에서 지역 병원 12곳과 함께 현지 의료기관 관계자를 만난다.",
    "설명회에서는 건강검진과 척추 치료 상품을 소개하고 현지 여행사와 업무협약도 맺을 계획이다.",
    "시 관계자는 중앙아시아 환자들의 재방문율이 높은 만큼 맞춤형 상품을 늘리겠다고 말했다.",
])
BEFORE = PreviousMatch(relevant=True, score=9.0, groups=frozenset({"foreign_patient", "marketing"}))


# --- when an edit is material ------------------------------------------------------------


def test_a_typo_fix_that_completes_a_term_is_not_material() -> None:
    typo = BODY.replace("외국인 환자 유치", "외국인 환자 유지")
    why = material_change(BEFORE, 14.0, ["foreign_patient", "marketing", "medical_tourism"],
                          old_title=TITLE, old_body=typo, new_title=TITLE, new_body=BODY)
    assert why == "", "the match changed, the text did not: no second mail"
    assert text_change(TITLE, typo, TITLE, BODY) < 0.05


def test_a_new_photo_caption_or_a_byline_is_not_material() -> None:
    edited = BODY + "\n▲ 지난해 열린 설명회 모습 (사진=인천시 제공)\n홍길동 기자 hong@example.kr"
    assert material_change(BEFORE, 9.0, BEFORE.groups, old_title=TITLE, old_body=BODY,
                           new_title=TITLE, new_body=edited) == ""


def test_a_rewrite_that_changes_the_match_is_material() -> None:
    added = BODY + "\n" + "\n".join([
        "시는 또 송도에 국제진료센터를 열고 러시아어와 몽골어 의료 코디네이터 20명을 배치한다.",
        "센터는 입국부터 진료, 귀국 뒤 원격 상담까지 외국인 환자의 전 과정을 돕는다.",
    ])
    why = material_change(BEFORE, 15.0, ["foreign_patient", "marketing", "intl_clinic", "coordinator"],
                          old_title=TITLE, old_body=BODY, new_title=TITLE, new_body=added)
    assert "new concept groups: coordinator, intl_clinic" in why
    headline = material_change(BEFORE, 12.0, ["foreign_patient", "marketing", "intl_clinic"], old_title=TITLE,
                               old_body=BODY, new_title="인천 송도에 국제진료센터 문 연다", new_body=BODY)
    assert "headline rewritten" in headline


def test_a_longer_text_with_the_same_match_is_not_material() -> None:
    longer = BODY + "\n설명회는 오전 10시부터 오후 5시까지 열리며 사전 신청은 받지 않는다.\n" * 3
    assert material_change(BEFORE, 9.5, BEFORE.groups, old_title=TITLE, old_body=BODY,
                           new_title=TITLE, new_body=longer) == ""


def test_an_article_that_did_not_match_before_is_not_a_revision() -> None:
    """Newly matching is the story's first alert, decided elsewhere (not a revision)."""
    was = PreviousMatch(relevant=False, score=2.0, groups=frozenset({"patient"}))
    assert material_change(was, 12.0, ["foreign_patient"], old_title=TITLE, old_body="",
                           new_title=TITLE, new_body=BODY) == ""


# --- when an entry says the article changed ----------------------------------------------


def _stored(title: str, modified: str) -> StoredEntry:
    return StoredEntry(1, "http://x/a", title, modified)


def test_entry_changes_that_are_edits() -> None:
    old = _stored(TITLE, "Mon, 23 Nov 2026 01:10:00 +0000")
    assert entry_changed(old, Entry("http://x/a", "인천시, 외국인 환자 유치 설명회 연기",
                                    "Mon, 23 Nov 2026 01:10:00 +0000")) == "title"
    assert entry_changed(old, Entry("http://x/a", TITLE, "Mon, 23 Nov 2026 03:40:00 +0000")) == "modified"


def test_entry_differences_that_are_not_edits() -> None:
    """A list's shortened headline, spacing, a minute-precision date, a missing date: same article."""
    old = _stored(TITLE, "2026-11-23T10:10:42+09:00")
    assert entry_changed(old, Entry("http://x/a", "인천시, 중앙아시아 외국인 환자…", "2026-11-23 10:10")) == ""
    assert entry_changed(old, Entry("http://x/a", "인천시,  중앙아시아 외국인 환자 유치 나선다 ", "")) == ""
    assert entry_changed(_stored("", ""), Entry("http://x/a", TITLE, "2026-11-23 10:10")) == ""
    assert entry_changed(old, Entry("http://x/a", TITLE, "2026-11-22T10:10:42+09:00")) == "", "older: not an edit"


# --- end to end over the demo sites -------------------------------------------------------


@contextmanager
def _session(home: Path) -> Iterator[Session]:
    engine = create_engine(f"sqlite:///{home / 'newswatch.db'}")
    try:
        with Session(engine) as session, session.begin():
            yield session
    finally:
        engine.dispose()


def _alerted_article(sites: SiteServer, home: Path, min_age_hours: float = 0) -> tuple[DemoArticle, int]:
    """A young, relevant article of its own story (no syndication) that was alerted."""
    with _session(home) as s:
        alerted = set(s.scalars(select(Alert.article_id)))
        by_url = {a.url: a.id for a in s.scalars(select(Article))}
    for a in sites.articles:
        aid = by_url.get(sites.article_url(a))
        newer = sum(1 for b in sites.articles if b.outlet == a.outlet and b.published_at > a.published_at)
        if a.expect_relevant and not a.story and min_age_hours <= a.age_hours <= 24 and aid in alerted and newer < 10:
            return a, aid  # in its outlet's feed (the newest 20)
    raise AssertionError("the demo has no young alerted article of its own story")


def _crawl(env: dict[str, str]) -> None:
    run = newswatch("crawl", "--all", *FAST, env=env)
    assert run.returncode == 0, run.stderr[-3000:]


def _send(env: dict[str, str], home: Path) -> list[email.message.EmailMessage]:
    before = set((home / "outbox").glob("*.eml")) if (home / "outbox").exists() else set()
    sent = newswatch("send", "--digest", env=env)
    assert sent.returncode == 0, sent.stderr[-3000:]
    new = sorted(set((home / "outbox").glob("*.eml")) - before)
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in new]  # type: ignore[misc]


def _text(msg: email.message.EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_edits_are_found_stored_as_versions_and_mailed_only_when_material(
    sites: StartSites, tmp_path: Path, home: Path,
) -> None:
    server = sites()
    env = cli_env(home, server.registry)
    log = tmp_path / "requests.log"
    _crawl(env)
    article, aid = _alerted_article(server, home)
    assert len(_send(env, home)) == 1
    with _session(home) as s:
        groups = set(s.scalars(select(Match.explanation).where(Match.article_id == aid)).one()["groups"])
    assert "intl_clinic" not in groups and "coordinator" not in groups, "the material edit below adds them"

    # 1. a typo fixed, a caption added (the feed shows no change): six hours on, the conditional
    # GET for a young matched article finds the page modified
    fixed = server.edit_article(
        article, modified_at=datetime.now(KST).replace(microsecond=0),
        paragraphs=(*article.paragraphs[:-1], article.paragraphs[-1].replace("다.", "다 .", 1),
                    "▲ 행사 모습 (사진=인천시 제공)"))
    _six_hours_pass(home, aid)
    before = log_length(log)
    _crawl(env)
    fetched = [r for r in _log(log, before) if r["path"] == _path(server, article)]
    assert [r["status"] for r in fetched] == [200], "fetched again once, and it changed"
    with _session(home) as s:
        assert s.get(Article, aid).version == 2  # type: ignore[union-attr]
        assert len(list(s.scalars(select(ArticleVersion).where(ArticleVersion.article_id == aid)))) == 2
        assert {a.revision for a in s.scalars(select(Alert).where(Alert.article_id == aid))} == {1}
    assert _send(env, home) == [], "a typo fix and a caption are never mailed again"

    # 2. the article rewritten: a new headline (the feed entry changes at once), a new subject
    server.edit_article(
        fixed, modified_at=datetime.now(KST).replace(microsecond=0) + timedelta(minutes=2),
        title="인천 송도에 국제진료센터 연다…의료 코디네이터 20명 배치",
        paragraphs=(*fixed.paragraphs,
                    "시는 또 송도에 국제진료센터를 열고 러시아어와 몽골어 의료 코디네이터 20명을 배치한다.",
                    "센터는 입국부터 진료, 귀국 뒤 원격 상담까지 외국인 환자의 전 과정을 돕는다."))
    before = log_length(log)
    _crawl(env)
    assert [r["status"] for r in _log(log, before) if r["path"] == _path(server, article)] == [200]
    with _session(home) as s:
        art = s.get(Article, aid)
        assert art is not None and art.version == 3
        revisions = {a.revision for a in s.scalars(select(Alert).where(Alert.story_id == art.story_id))}
    assert revisions == {1, 2}, "the story's alert revision rose once"
    mails = _send(env, home)
    assert len(mails) == 1 and "[기사 수정] 인천 송도에 국제진료센터" in _text(mails[0])

    # nothing changed: the next tick is quiet and mails nothing
    before = log_length(log)
    _crawl(env)
    idle = requests_by_outlet(log, before)
    assert sum(idle.values()) / len(server.outlets) <= 1.2, idle
    assert _send(env, home) == []


def _six_hours_pass(home: Path, aid: int) -> None:
    """For this article only (the others were fetched just now)."""
    with _session(home) as s:
        s.execute(update(Article).where(Article.id == aid).values(fetched_at=datetime.now(UTC) - timedelta(hours=7)))


def _path(sites: SiteServer, article: DemoArticle) -> str:
    return sites.article_url(article).removeprefix(sites.urls[article.outlet].rstrip("/"))


def _log(log: Path, start: int) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()[start:]]


def test_young_matched_articles_are_checked_with_a_conditional_get_within_the_budget(
    sites: StartSites, tmp_path: Path, home: Path,
) -> None:
    server = sites()
    env = cli_env(home, server.registry)
    log = tmp_path / "requests.log"
    _crawl(env)
    # older than the seven hours turned back below, so its Last-Modified is before the last fetch
    article, aid = _alerted_article(server, home, min_age_hours=8)
    path = _path(server, article)
    _six_hours_pass(home, aid)

    before = log_length(log)
    _crawl(env)
    hits = [r for r in _log(log, before) if r["path"] == path]
    assert [r["status"] for r in hits] == [304], "one conditional GET, answered 304"
    idle = requests_by_outlet(log, before)
    assert sum(idle.values()) / len(server.outlets) <= 1.2, idle
    with _session(home) as s:
        art = s.get(Article, aid)
        assert art is not None and art.version == 1
        assert art.fetched_at > datetime.now(UTC) - timedelta(minutes=5), "the revisit clock moved on"

    # the next tick does not ask again (fetched less than six hours ago)
    before = log_length(log)
    _crawl(env)
    assert not [r for r in _log(log, before) if r["path"] == path]

