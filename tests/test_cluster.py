"""`newswatch cluster`: stories over JSON lines, deterministic ids, no chaining, bad lines."""

from __future__ import annotations

import io
import json

from crawler.dedupe.cluster import cluster_jsonl, cluster_records

PARAS = [
    "경북도는 14일 카자흐스탄 알마티에서 한방 의료관광 로드쇼를 열고 현지 의료관광 에이전시 50곳과 상담회를 가졌다고 15일 밝혔다.",
    "로드쇼에는 영천과 경산의 한방병원 4곳과 포항의 종합병원 3곳이 참가해 한방 재활과 척추 치료, 건강검진 프로그램을 소개했다.",
    "도는 현지 언론과 인플루언서를 초청해 침 치료와 약선 음식 시연 행사를 열고 역사 유적 관광과 한방 체험을 묶은 상품을 선보였다.",
    "이 자리에서 도와 현지 여행사 2곳은 연간 300명 규모의 의료관광객 송출을 위한 업무협약을 맺었다.",
    '도 관계자는 "중앙아시아는 한방 치료에 대한 관심이 높은 시장"이라며 "협약이 실제 환자 방문으로 이어지도록 지원하겠다"고 말했다.',
]
BODY = "\n".join(PARAS)
TITLE = "경북도, 카자흐스탄서 한방 의료관광 로드쇼"


def record(doc_id: str, body: str = BODY, title: str = TITLE, **extra: object) -> dict[str, object]:
    """One input record."""
    return {"id": doc_id, "outlet": doc_id, "title": title, "body": body, **extra}


def test_copies_share_a_story_named_after_the_first() -> None:
    records = [
        record("kb-1"),
        record(
            "other",
            body="울산시는 노후 산업단지 배관 120곳을 점검한다고 5일 밝혔다. " * 5,
            title="울산 배관 점검",
        ),
        record(
            "yna-7",
            body="(대구=연합뉴스) 김민재 기자 = " + BODY,
            title="경북 한방병원, 알마티서 환자 유치",
        ),
        record("news1-3", body=BODY + "\nⓒ 뉴스1코리아(news1.kr), 무단 전재 및 재배포 금지"),
    ]
    assert cluster_records(records) == [
        ("kb-1", "s-kb-1"),
        ("other", "s-other"),
        ("yna-7", "s-kb-1"),
        ("news1-3", "s-kb-1"),
    ]
    assert cluster_records(records) == cluster_records(records)


def test_a_figureless_copy_cannot_chain_two_years_of_one_event() -> None:
    this_year = BODY
    no_figures = "\n".join(p.replace("14일", "").replace("15일", "").replace("50곳", "여러 곳")
                           .replace("4곳", "여러 곳").replace("3곳", "여러 곳").replace("2곳", "여러 곳")
                           .replace("300명", "수백 명") for p in PARAS)  # fmt: skip
    last_year = (BODY.replace("14일", "16일").replace("15일", "17일").replace("50곳", "35곳")
                 .replace("4곳", "3곳").replace("3곳이", "1곳이").replace("300명", "200명"))  # fmt: skip
    out = dict(
        cluster_records([record("a", this_year), record("b", no_figures), record("c", last_year)])
    )
    assert out["a"] == out["b"]  # the copy without figures joins the first story
    assert out["c"] != out["a"]  # ...but does not pull last year's event in behind it


def test_cluster_jsonl_writes_one_line_per_good_line_in_order() -> None:
    lines = [
        json.dumps(
            record("a", published_at="2024-10-15T09:00:00+09:00", extra_key=[1, 2]),
            ensure_ascii=False,
        ),
        json.dumps(record("b", published_at="2024-10-15T02:00:00Z"), ensure_ascii=False),
        json.dumps(
            {"id": 7, "title": "울산 배관 점검", "body": "울산시는 노후 배관을 점검한다."},
            ensure_ascii=False,
        ),
    ]
    out, err = io.StringIO(), io.StringIO()
    assert cluster_jsonl(io.StringIO("\n".join(lines) + "\n"), out, err) == 0
    assert err.getvalue() == ""
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [
        {"id": "a", "story": "s-a"},
        {"id": "b", "story": "s-a"},
        {"id": 7, "story": "s-7"},
    ]


def test_cluster_jsonl_reports_bad_lines_and_carries_on() -> None:
    good = json.dumps(record("a"), ensure_ascii=False)
    lines = [
        good,
        "{not json",
        "[1, 2]",
        json.dumps({"title": "id 없음", "body": "본문"}, ensure_ascii=False),
        json.dumps({"id": "x", "body": 5}),
        json.dumps({"id": "y", "body": "본문", "published_at": "어제"}, ensure_ascii=False),
        good,
        "",
        json.dumps(record("c", body="(대구=뉴스1) 이재훈 기자 = " + BODY), ensure_ascii=False),
    ]
    out, err = io.StringIO(), io.StringIO()
    assert cluster_jsonl(io.StringIO("\n".join(lines) + "\n"), out, err) == 1
    errors = [json.loads(line) for line in err.getvalue().splitlines()]
    assert [e["line"] for e in errors] == [2, 3, 4, 5, 6, 7, 8]
    assert all(isinstance(e["error"], str) and e["error"] for e in errors)
    assert "duplicate id" in errors[5]["error"]
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [
        {"id": "a", "story": "s-a"},
        {"id": "c", "story": "s-a"},
    ]


def test_cluster_jsonl_on_empty_input() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert cluster_jsonl(io.StringIO(""), out, err) == 0
    assert out.getvalue() == err.getvalue() == ""
