"""Rewrites joined, sisters apart, follow-ups linked: the scored path of `same_story` and
`newswatch cluster --explain`. Korean texts here are written for the tests."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crawler.dedupe.cluster import cluster_jsonl, explain_docs
from crawler.dedupe.stories import (
    StoryDoc,
    decode_signature,
    encode_signature,
    same_story,
    signature,
)

WHEN = datetime(2026, 5, 14, 9, tzinfo=UTC)

RELEASE = [
    "해솔구(구청장 김바다)는 오는 14일부터 17일까지 몽골 의료관광 관계자 팸투어를 진행한다고 12일 밝혔다.",
    "팸투어에는 몽골 보건부 공무원과 현지 의료기관 관계자, 여행사 대표 등 모두 9명이 참가한다.",
    "방문단은 해솔구보건소와 해솔중앙병원, 푸른숲한방병원 등 관내 의료기관 6곳을 둘러보고 건강검진을 체험한다.",
    "지난해 해솔구를 찾은 몽골 환자는 3814명으로 전년보다 27% 늘었다.",
    "구는 방문단과 간담회를 열어 환자 송출 협력 방안도 논의할 계획이다.",
    "김바다 구청장은 \"몽골 환자가 믿고 찾는 의료관광 도시로 자리 잡겠다\"고 말했다.",
]
# an outlet's own rewrite: new headline and lead, sentences reordered and reworded, a local
# sentence added, a third cut
REWRITE = [
    "몽골 보건 공무원들이 해솔구 병원을 직접 둘러본다.",
    "해솔구에 따르면 몽골 보건부와 의료기관, 여행사 관계자 9명이 14일부터 17일까지 구를 찾는다.",
    "지난해 이 지역 병원을 이용한 몽골 환자는 3814명이었다. 1년 새 27% 증가한 수치다.",
    "일행은 해솔중앙병원과 푸른숲한방병원 등 6곳에서 검진을 받아 보고 해솔구보건소도 찾는다.",
    "지역 병원계는 이번 방문이 환자 유치로 이어지길 기대하고 있다.",
    "해솔중앙병원 국제진료팀 관계자는 \"몽골어 통역 코디네이터 두 명을 새로 뽑아 방문단을 맞을 준비를 마쳤다\"고 했다.",
    "구는 방문단이 돌아간 뒤 현지 송출 여행사와 협력 방안을 구체화할 예정이다.",
]
# the same programme in another district, templated: other district, other figures
SISTER = [
    line.replace("해솔구", "달빛구").replace("김바다", "이하늘").replace("9명", "12명")
    .replace("3814명", "2207명").replace("27%", "15%").replace("해솔중앙병원", "달빛성모병원")
    for line in RELEASE
]  # fmt: skip
# ten days later: the tour's results, its own story
FOLLOW_UP = [
    "해솔구는 지난 14일부터 17일까지 진행한 몽골 의료관광 팸투어 결과 현지 여행사 3곳과 환자 송출 협약을 맺었다고 27일 밝혔다.",
    "몽골 보건부 공무원과 의료기관 관계자 등 9명이 해솔중앙병원과 푸른숲한방병원 등 6곳을 둘러봤다.",
    "협약에 따라 여행사들은 올해 하반기부터 몽골 환자를 해솔구 의료기관에 연계한다.",
    "구는 오는 9월 울란바토르에서 의료관광 설명회를 열어 협력을 넓힐 계획이다.",
]


def doc(doc_id: str, lines: list[str], title: str, outlet: str, when: datetime | None = WHEN) -> StoryDoc:
    return StoryDoc(doc_id, outlet, title, "\n".join(lines), when)


def test_an_outlets_own_rewrite_joins_its_release_with_the_evidence() -> None:
    release = doc("a", RELEASE, "해솔구, 몽골 의료관광 관계자 팸투어", "city")
    rewrite = doc("b", REWRITE, "몽골 보건 공무원들 \"해솔구 병원 보러 왔어요\"", "daily")
    ok, _score, reason = same_story(release, rewrite)
    assert ok, reason
    assert "rewrite score" in reason and "figure_share" in reason


def test_the_same_programme_in_another_district_stays_apart() -> None:
    release = doc("a", RELEASE, "해솔구, 몽골 의료관광 관계자 팸투어", "city")
    sister = doc("c", SISTER, "달빛구, 몽골 의료관광 관계자 팸투어", "daily")
    ok, _score, reason = same_story(release, sister)
    assert not ok
    assert "달빛구" in reason or "different facts" in reason or "template" in reason


def test_a_copy_with_a_typo_and_an_updated_count_joins_its_release() -> None:
    """The same sentences with one figure mistyped and one count updated are the same story
    (a template of another district restates its figures and its actors too)."""
    copy = [
        line.replace("3814명", "3841명").replace("모두 9명", "모두 11명")
        for line in RELEASE
    ]
    release = doc("a", RELEASE, "해솔구, 몽골 의료관광 관계자 팸투어", "city")
    updated = doc("u", copy, "해솔구, 몽골 의료관광 관계자 팸투어 진행", "daily", None)
    ok, _score, reason = same_story(release, updated)
    assert ok, reason


def test_a_follow_up_days_later_is_its_own_story_that_follows_the_first() -> None:
    docs = [
        doc("a", RELEASE, "해솔구, 몽골 의료관광 관계자 팸투어", "city"),
        doc("b", REWRITE, "몽골 보건 공무원들 \"해솔구 병원 보러 왔어요\"", "daily"),
        doc("f", FOLLOW_UP, "해솔구, 몽골 여행사 3곳과 환자 송출 협약", "daily",
            WHEN + timedelta(days=13)),
    ]  # fmt: skip
    a, b, f = explain_docs(docs)
    assert a.story == b.story and b.joined == "a"
    assert f.story != a.story
    assert f.follows == a.story


def test_cluster_explain_prints_story_member_score_and_evidence() -> None:
    lines = [
        {"id": 1, "outlet": "city", "title": "해솔구, 몽골 의료관광 관계자 팸투어",
         "body": "\n".join(RELEASE), "published_at": WHEN.isoformat()},
        {"id": 2, "outlet": "daily", "title": "몽골 보건 공무원들 해솔구 병원 찾는다",
         "body": "\n".join(REWRITE), "published_at": WHEN.isoformat()},
    ]  # fmt: skip
    out = io.StringIO()
    code = cluster_jsonl(
        io.StringIO("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines)),
        out, io.StringIO(), explain=True,
    )  # fmt: skip
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert code == 0
    assert rows[0]["joined"] is None and rows[0]["story"] == rows[1]["story"] == "s-1"
    assert rows[1]["joined"] == "1" and rows[1]["score"] > 0 and "rewrite score" in rows[1]["evidence"]


def test_signatures_stored_before_anchors_still_read() -> None:
    sig = signature("해솔구 팸투어\n" + " ".join(RELEASE))
    old = encode_signature(sig)[: 160 * 4]
    assert decode_signature(old)[:160] == sig[:160]


def test_real_syndicated_copies_are_grouped(corpus: Path) -> None:
    """stories-dev: copies joined, sisters apart (the bench reports the exact figures)."""
    from bench.dedupe import _pair_scores, real_items

    precision, recall = _pair_scores(real_items(corpus / "stories-dev" / "items.jsonl"))
    assert precision >= 0.95, precision
    assert recall >= 0.96, recall


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm-cache"])
def test_the_store_joins_a_trimmed_copy_to_a_story_a_rewrite_opened(
    db: Any, tmp_path: Path, monkeypatch: Any, warm: bool
) -> None:
    """Arrival order must not split a release: the rewrite opens the story, the verbatim copy
    joins it, and a trimmed copy (nothing like the rewrite) joins through the verbatim copy."""
    from crawler.alert.onstore import AlertsOnStore
    from crawler.alert.recipients import load_recipients
    from crawler.crawl.cpu import story_signature
    from crawler.extract.cleanup import clean_record
    from crawler.families import ID_RULES
    from crawler.store.ingest import StoryCache, ingest
    from crawler.store.models import Article
    from crawler.types import ArticleRecord, Extracted

    title = "해솔구, 몽골 의료관광 관계자 팸투어"
    trimmed = doc("c", RELEASE[:3], title, "weekly")
    assert not same_story(trimmed, doc("b", REWRITE, "몽골 보건 공무원들 해솔구 병원 찾는다", "daily"))[0]
    recipients = tmp_path / "recipients.toml"
    recipients.write_text('[[recipient]]\naddress = "team@example.org"\nwatchlists = ["medical-tourism"]\n',
                          encoding="utf-8")  # fmt: skip
    monkeypatch.setenv("NEWSWATCH_RECIPIENTS_FILE", str(recipients))

    def record(n: int, outlet: str, title: str, lines: list[str]) -> ArticleRecord:
        ex = Extracted(title=title, body="\n".join(lines), published_at=WHEN)
        url = f"http://127.0.0.1:9/news/articleView.html?idxno={n}"
        rec = clean_record(ArticleRecord(outlet_id=outlet, url=url, request_url=url, family="ndsoft",
                                             extracted=ex, fetched_at=WHEN), None, id_rules=ID_RULES)  # fmt: skip
        rec.signature, rec.story_features = story_signature(title, rec.extracted.body)
        return rec

    people, cache = load_recipients(), StoryCache() if warm else None
    for rec in (record(1, "daily", "몽골 보건 공무원들 해솔구 병원 찾는다", REWRITE),
                record(2, "city", title, RELEASE), record(3, "weekly", title, RELEASE[:3])):
        with db.session() as s:
            ingest(s, rec, hooks=AlertsOnStore(people), seed=True, now=WHEN, cache=cache)
    with db.sessions() as s:
        assert len({a.story_id for a in s.scalars(select(Article))}) == 1


def test_the_store_links_a_follow_up_to_its_story(db: Any, tmp_path: Path, monkeypatch: Any) -> None:
    from crawler.alert.onstore import AlertsOnStore
    from crawler.alert.recipients import load_recipients
    from crawler.crawl.cpu import story_signature
    from crawler.extract.cleanup import clean_record
    from crawler.families import ID_RULES
    from crawler.store.ingest import ingest
    from crawler.store.models import Article, Story
    from crawler.types import ArticleRecord, Extracted

    recipients = tmp_path / "recipients.toml"
    recipients.write_text('[[recipient]]\naddress = "team@example.org"\nwatchlists = ["medical-tourism"]\n',
                          encoding="utf-8")  # fmt: skip
    monkeypatch.setenv("NEWSWATCH_RECIPIENTS_FILE", str(recipients))

    def record(n: int, outlet: str, title: str, lines: list[str], when: datetime) -> ArticleRecord:
        ex = Extracted(title=title, body="\n".join(lines), published_at=when)
        url = f"http://127.0.0.1:9/news/articleView.html?idxno={n}"
        rec = clean_record(ArticleRecord(outlet_id=outlet, url=url, request_url=url, family="ndsoft",
                                             extracted=ex, fetched_at=when), None, id_rules=ID_RULES)  # fmt: skip
        rec.signature, rec.story_features = story_signature(title, rec.extracted.body)
        return rec

    later = WHEN + timedelta(days=13)
    people = load_recipients()
    for rec, now in (
        (record(1, "city", "해솔구, 몽골 의료관광 관계자 팸투어", RELEASE, WHEN), WHEN),
        (record(2, "daily", "몽골 보건 공무원들 해솔구 병원 찾는다", REWRITE, WHEN), WHEN),
        (record(3, "daily", "해솔구, 몽골 여행사 3곳과 환자 송출 협약", FOLLOW_UP, later), later),
    ):
        with db.session() as s:
            ingest(s, rec, hooks=AlertsOnStore(people), seed=True, now=now)
    with db.sessions() as s:
        story_of = {a.url[-1]: a.story_id for a in s.scalars(select(Article))}
        assert story_of["1"] == story_of["2"] != story_of["3"]
        assert s.get(Story, story_of["3"]).follows_id == story_of["1"]  # type: ignore[union-attr]
