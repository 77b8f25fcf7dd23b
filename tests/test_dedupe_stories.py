"""Dedupe layer 3: near-duplicate stories across outlets, on a labelled set of Korean articles.

tests/data/dedupe_pairs.jsonl holds look-alike articles written for this project: each has its
true `story`, a `note` on how it was made, `near_miss_of` (the designed near-miss partners) and,
for the few paraphrased rewrites the shingles cannot see, `hard`.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.dedupe.cluster import cluster_records, to_doc
from crawler.dedupe.stories import (
    EMPTY_VALUE,
    SIG_SIZE,
    StoryDoc,
    band_keys,
    decode_signature,
    dedupe_text,
    encode_signature,
    numbers,
    quantities,
    same_story,
    signature,
    similarity,
)

DATA = Path(__file__).parent / "data" / "dedupe_pairs.jsonl"


def load() -> list[dict[str, Any]]:
    """The labelled articles."""
    with DATA.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def pair_scores(records: list[dict[str, Any]], story_of: dict[str, str]) -> tuple[float, float]:
    """Pair precision and recall of a clustering against the `story` labels."""
    tp = fp = fn = 0
    for a, b in itertools.combinations(records, 2):
        predicted = story_of[a["id"]] == story_of[b["id"]]
        actual = a["story"] == b["story"]
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
    return tp / (tp + fp), tp / (tp + fn)


# ---------------------------------------------------------------- the labelled set


def test_labelled_set_has_the_promised_shape() -> None:
    records = load()
    groups: dict[str, int] = {}
    for r in records:
        groups[r["story"]] = groups.get(r["story"], 0) + 1
    assert sum(1 for n in groups.values() if n > 1) >= 40
    assert sum(len(r["near_miss_of"]) for r in records) >= 100
    assert len({r["id"] for r in records}) == len(records)
    assert sum(1 for r in records if r.get("published_at")) >= 0.9 * len(records)
    ids = {r["id"] for r in records}
    assert all(other in ids for r in records for other in r["near_miss_of"])


def test_pair_precision_and_recall_of_clustering() -> None:
    records = load()
    precision, recall = pair_scores(records, dict(cluster_records(records)))
    assert precision >= 0.95
    assert recall >= 0.95


def test_paraphrased_rewrites_are_joined_through_their_figures() -> None:
    records = load()
    story_of = dict(cluster_records(records))
    by_story = {r["story"]: story_of[r["id"]] for r in records if not r.get("hard")}
    hard = [r for r in records if r.get("hard")]
    assert hard
    assert all(story_of[r["id"]] == by_story[r["story"]] for r in hard)


def test_no_designed_near_miss_is_joined() -> None:
    records = load()
    docs = {r["id"]: to_doc(r) for r in records}
    joined = [
        (r["id"], other, same_story(docs[r["id"]], docs[other])[2])
        for r in records
        for other in r["near_miss_of"]
        if same_story(docs[r["id"]], docs[other])[0]
    ]
    assert joined == []


def test_figures_are_compared_with_what_they_count() -> None:
    # one campaign's templated releases for two cities: small numbers recur in other roles
    fukuoka = "전남도는 4일 후쿠오카에서 설명회를 열었다고 5일 밝혔다. 여행사 60곳, 코스 4개, 2박 3일, 전세기 6회."
    osaka = "전남도는 6일 오사카에서 설명회를 열었다고 7일 밝혔다. 여행사 75곳, 코스 5개, 2박 3일, 전세기 4회."
    assert numbers(fukuoka) - numbers(osaka) == {"60"}  # by value alone they nearly agree
    assert quantities(fukuoka) - quantities(osaka) == {"4일", "5일", "60곳", "4개", "6회"}
    assert quantities("관광객 1만2천명, 12,000명") == {"12000명"}


def test_a_reheadlined_short_edit_with_its_figures_joins_but_a_template_does_not() -> None:
    body = (
        "경기관광공사는 외국인 개별관광객이 도내 관광지 38곳을 한 장의 카드로 이용할 수 있는 투어패스를 "
        "출시했다고 16일 밝혔다.\n투어패스는 24시간권 3만9천원, 48시간권 5만9천원 두 종류다.\n"
        "구매는 공사 누리집과 공항 안내센터 2곳에서 할 수 있으며 모바일로도 발급된다."
    )
    full = (
        body
        + "\n공사는 출시 첫해 판매 목표를 2만장으로 잡고 온라인 여행사 5곳과 제휴를 맺었다.\n" * 2
    )
    when = datetime(2025, 9, 16, 9, tzinfo=UTC)
    original = StoryDoc("a", "kyeongin", "경기관광공사, 외국인용 '경기 투어패스' 출시", full, when)
    edited = StoryDoc(
        "b",
        "dailylocal",
        "하나로 38곳 입장…투어패스 나왔다",
        body.replace("출시했다", "선보였다"),
        when,
    )
    assert same_story(original, edited)[0]
    other = (
        body.replace("38곳", "45곳").replace("3만9천원", "2만9천원").replace("5만9천원", "4만9천원")
    )
    assert not same_story(original, StoryDoc("c", "dailylocal", "하나로 45곳 입장", other, when))[0]


def test_clustering_does_not_depend_on_input_order() -> None:
    records = load()

    def partition(rs: list[dict[str, Any]]) -> list[list[str]]:
        groups: dict[str, list[str]] = {}
        for doc_id, story in cluster_records(rs):
            groups.setdefault(story, []).append(doc_id)
        return sorted(sorted(g) for g in groups.values())

    assert partition(records[::-1]) == partition(records)


# ---------------------------------------------------------------- text normalisation

LEAD = "인천시는 오는 8일부터 이틀간 러시아어권 의료관광 코디네이터 28명을 초청해 팸투어를 연다고 2일 밝혔다."
SECOND = "참가자들은 지역 병원 9곳을 둘러보고 한양방 협진 프로그램을 체험한다."
PLAIN = f"{LEAD}\n{SECOND}"
CREDITED = [
    f"(인천=연합뉴스) 홍길동 기자 = {LEAD}\n{SECOND}\n<저작권자(c) 연합뉴스, 무단 전재-재배포, AI 학습 및 활용 금지>",
    f"[인천=뉴시스]홍길동 기자 = {LEAD}\n{SECOND}\n◎공감언론 뉴시스가 독자 여러분의 소중한 제보를 기다립니다.",
    f"【인천=뉴시스】 홍길동·김영희 기자 = {LEAD}\n{SECOND}",
    f"(인천=뉴스1) 박정우 김민수 기자 = {LEAD}\n{SECOND}\nⓒ 뉴스1코리아(news1.kr), 무단 전재 및 재배포 금지",
    f"[뉴스1] {LEAD}\n{SECOND}",
    f"편집국 기자\n{LEAD}\n{SECOND}\n저작권자 © 인천일보 무단전재 및 재배포 금지",
    f"{LEAD}\n{SECOND}\n홍길동 기자 hong@incheonilbo.example",
    f"{LEAD} (사진=인천시 제공)\n▲ 지난해 팸투어 참가자들이 병원을 둘러보고 있다.\n{SECOND}",
    f"기사 메일전송\n• 정은비 기자\n• 등록 2024-06-13 11:10:01\n기사수정\n{LEAD}\n{SECOND}\n목록 바로가기\n인쇄",
    f"입력 2024.06.13 11:10\nSNS 기사보내기\n{LEAD}\n{SECOND}\n관련기사\n가장 많이 본 뉴스",
    f"{LEAD.replace(' ', '  ')}\r\n\r\n{SECOND}",
]


@pytest.mark.parametrize("body", CREDITED)
def test_wire_credits_and_chrome_do_not_reach_the_dedupe_text(body: str) -> None:
    assert dedupe_text("인천시 팸투어", body) == dedupe_text("인천시 팸투어", PLAIN)


@pytest.mark.parametrize(
    "title",
    [
        "[포토] 인천시 팸투어",
        "[인천] 인천시 팸투어",
        "【속보】인천시 팸투어",
        "인천시 팸투어 - 인천일보",
    ],
)
def test_headline_tags_are_removed(title: str) -> None:
    assert dedupe_text(title, PLAIN) == dedupe_text("인천시 팸투어", PLAIN)


def test_dedupe_text_is_nfkc_folded_title_then_body() -> None:
    assert (
        dedupe_text("Ｋ-의료 “설명회”", "환자 1,240명… 상담!") == "k 의료 설명회\n환자 1240명 상담"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("외국인 환자 1만2천430명", {"12430"}),
        ("외국인 환자 12,430명", {"12430"}),
        ("최대 1천500만원", {"15000000"}),
        ("2024.06.13 행사", {"2024", "6", "13"}),
        ("52.5% 증가", {"52.5"}),
    ],
)
def test_figures_are_read_by_value(text: str, expected: set[str]) -> None:
    assert numbers(text) == expected


# ---------------------------------------------------------------- signatures and bands


def test_signature_has_a_fixed_size_and_bands_fit_bigint() -> None:
    sig = signature(dedupe_text("인천시 팸투어", PLAIN))
    assert len(sig) == SIG_SIZE
    assert all(0 <= v <= EMPTY_VALUE for v in sig)
    keys = band_keys(sig)
    # 42 text bands, 10 lead bands, 1 facts key (the body has 4+ figures), 8 anchor keys
    assert len(keys) == 61
    assert len(set(keys)) == len(keys)
    assert all(-(2**63) <= k < 2**63 for k in keys)


def test_signature_is_stable_across_processes() -> None:
    code = (
        "from crawler.dedupe.stories import signature, band_keys;"
        f"s = signature({dedupe_text('인천시 팸투어', PLAIN)!r}); print(s[:8], band_keys(s)[:3])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent.parent,
        ).stdout
        for seed in ("1", "2")
    }
    sig = signature(dedupe_text("인천시 팸투어", PLAIN))
    assert outputs == {f"{sig[:8]} {band_keys(sig)[:3]}\n"}


def test_empty_text_has_no_band_keys() -> None:
    assert band_keys(signature(dedupe_text("", ""))) == []
    assert band_keys(signature("")) == []
    assert similarity(signature(""), signature("")) == 0.0


def test_similarity_estimates_jaccard() -> None:
    a = signature(dedupe_text("인천시 팸투어", PLAIN))
    b = signature(dedupe_text("인천시 팸투어", LEAD))
    assert similarity(a, a) == 1.0
    assert 0.35 <= similarity(a, b) <= 0.75  # exact Jaccard is about 0.55
    with pytest.raises(ValueError, match="expected"):
        similarity(a, a[:64])


def test_signature_round_trips_through_bytes() -> None:
    sig = signature(dedupe_text("인천시 팸투어", PLAIN))
    blob = encode_signature(sig)
    assert len(blob) == SIG_SIZE * 4
    assert decode_signature(blob) == sig
    with pytest.raises(ValueError, match="recompute"):
        decode_signature(blob[:-4])
    with pytest.raises(ValueError, match="expected"):
        encode_signature(sig[:128])


def test_story_doc_computes_its_signature_when_left_empty() -> None:
    doc = StoryDoc(id="a", outlet="x", title="인천시 팸투어", body=PLAIN)
    assert doc.sig == signature(dedupe_text("인천시 팸투어", PLAIN))
    given = [1] * SIG_SIZE
    assert StoryDoc(id="b", outlet="x", title="t", body="b", sig=given).sig == given


# ---------------------------------------------------------------- the decision

RELEASE = [
    "부산 해운대구는 25일 러시아 블라디보스토크에서 현지 여행사 3곳과 의료관광객 유치를 위한 업무협약을 맺었다고 26일 밝혔다.",
    "협약에 따라 여행사들은 해운대 지역 협력 병원의 건강검진과 치과, 재활 치료 상품을 현지에서 판매하고 구는 통역을 지원한다.",
    "구는 이번 방문 기간 현지 관광박람회에 의료관광 홍보관을 열어 사흘 동안 현지인 1천200여 명에게 병원 정보를 안내했다.",
    "해운대구에는 외국인환자 유치 등록 의료기관 78곳이 있으며 지난해 러시아 환자 2천여 명이 이곳을 찾았다.",
    '구 관계자는 "직항 노선이 늘어나는 만큼 러시아 극동 지역 환자 유치에 속도를 내겠다"고 말했다.',
]
T0 = datetime(2024, 9, 26, 9, tzinfo=UTC)


def doc(
    doc_id: str,
    body: str,
    title: str = "해운대구, 블라디보스토크 여행사와 의료관광 협약",
    outlet: str = "",
    when: datetime | None = T0,
) -> StoryDoc:
    """A StoryDoc with defaults for the decision tests."""
    return StoryDoc(id=doc_id, outlet=outlet or doc_id, title=title, body=body, published_at=when)


def test_verbatim_copy_with_other_chrome_and_headline_is_the_same_story() -> None:
    a = doc("a", "\n".join(RELEASE) + "\n저작권자 © 국제신문 무단전재 및 재배포 금지")
    b = doc(
        "b",
        "(부산=뉴스1) 손지호 기자 = " + "\n".join(RELEASE),
        title="러 극동 환자 잡는다…해운대구 협약",
    )
    ok, score, reason = same_story(a, b)
    assert ok and score == 1.0, reason


def test_copy_published_long_after_needs_a_near_verbatim_body() -> None:
    original = doc("a", "\n".join(RELEASE))
    weekly_copy = doc("b", "\n".join(RELEASE), when=T0 + timedelta(days=9))
    edited_late = doc("c", "\n".join(RELEASE[:4]), when=T0 + timedelta(days=9))
    assert same_story(original, weekly_copy)[0]
    ok, _score, reason = same_story(original, edited_late)
    assert not ok and "days apart" in reason


def test_empty_bodies_never_join_even_with_the_same_headline() -> None:
    a = doc("a", "", title="[포토] 해운대 의료관광 홍보관")
    b = doc("b", "", title="[포토] 해운대 의료관광 홍보관")
    assert same_story(a, b) == (False, 0.0, "empty body")
    assert cluster_records(
        [{"id": "a", "title": a.title, "body": ""}, {"id": "b", "title": b.title, "body": ""}]
    ) == [
        ("a", "s-a"),
        ("b", "s-b"),
    ]


def test_short_bodies_need_the_headline_too() -> None:
    caption = "몽골 환자와 가족 24명이 3일 공항 입국장에서 병원 관계자들의 환영을 받고 있다."
    a = doc("a", caption, title="[포토] 공항 도착한 몽골 의료관광 환자단")
    same_caption_other_title = doc("b", caption, title="[포토] 해운대구 의료관광 설명회")
    assert same_story(a, doc("c", caption, title="[포토]몽골 의료관광 환자단, 공항 도착"))[0]
    ok, _score, reason = same_story(a, same_caption_other_title)
    assert not ok and "short body" in reason


def test_boilerplate_notices_of_one_outlet_are_not_joined() -> None:
    template = [
        "본지는 지역 의료관광 업계 소식을 가장 빠르게 전합니다.",
        "보도자료와 행사 일정은 누리집 제보 게시판이나 전자우편으로 보내 주시면 검토 뒤 게재합니다.",
        "의료관광 코디네이터 채용 정보와 지역별 설명회 일정은 매주 월요일 뉴스레터로도 받아 보실 수 있습니다.",
        "구독 신청은 누리집 오른쪽 위 구독 단추를 눌러 주십시오. 광고 문의는 광고국으로 연락해 주십시오.",
    ]
    a = doc("a", "\n".join(["의료관광 포럼이 해운대에서 열린다. 참가 신청은 누리집에서 받는다."] + template),
            title="[행사] 부산 의료관광 포럼 개최", outlet="medinews")  # fmt: skip
    b = doc("b", "\n".join(["본지는 추석 연휴 기간 휴간하며 연휴 뒤 정상 발행합니다."] + template),
            title="[알림] 추석 연휴 휴간 안내", outlet="medinews")  # fmt: skip
    ok, score, reason = same_story(a, b)
    assert score > 0.5 and not ok, reason


def test_templated_releases_with_other_figures_are_not_joined() -> None:
    a = doc("a", "\n".join(RELEASE))
    other = [
        line.replace("25일", "27일").replace("3곳", "2곳").replace("1천200여", "800여")
        for line in RELEASE
    ]
    other = [line.replace("블라디보스토크", "하바롭스크") for line in other]
    ok, score, reason = same_story(a, doc("b", "\n".join(other)))
    assert score > 0.5 and not ok and "different facts" in reason


def test_naive_times_are_korea_time() -> None:
    aware = doc("a", "\n".join(RELEASE), when=datetime(2024, 9, 26, 0, 30, tzinfo=UTC))
    naive = doc("b", "\n".join(RELEASE), when=datetime(2024, 9, 26, 9, 30))
    assert same_story(aware, naive)[0]
