"""Which body lines are page chrome, and how an element becomes paragraphs."""

from __future__ import annotations

import pytest
from parsel import Selector

from crawler.extract.blocks import paragraphs
from crawler.extract.text import (
    collapse_spaces,
    is_copyright,
    is_dateline,
    is_related_heading,
    is_reporter_line,
    is_ui_text,
    is_weather_ticker,
)


@pytest.mark.parametrize(
    ("line", "chrome"),
    [
        ("저작권자 © 새인천일보 무단전재 및 재배포 금지", True),
        ("<저작권자 © 바다신문, 무단 전재 및 재배포 금지>", True),
        ("Copyright ⓒ 남항뉴스 무단전재 및 재배포금지", True),
        ("ⓒ 달구벌타임즈 무단전재-재배포 금지", True),
        ("저작권자 ⓒ서울신문. 무단 전재-재배포 금지", True),
        ("© 2019 Associated Press. All Rights Reserved.", False),  # kept: wire credits are content
        ("시는 저작권 교육을 강화한다고 밝혔다.", False),
    ],
)
def test_copyright(line: str, chrome: bool) -> None:
    assert is_copyright(line) is chrome


@pytest.mark.parametrize(
    ("line", "chrome"),
    [
        ("홍길동 기자 hong@x.com", True),
        ("/홍길동 기자", True),
        ("홍길동·김철수 기자", True),
        ("[새인천일보=홍길동 기자]", True),
        ("hong@x.com", True),
        ("• 최가람 기자", True),
        ("기자 질문에 답했다", False),
        ("이상 기자회견", False),
        ("홍길동 기자가 현장을 찾았다.", False),
        ("[인천=홍길동 기자] 인천시는 28명을 초청했다.", False),
    ],
)
def test_reporter_line(line: str, chrome: bool) -> None:
    assert is_reporter_line(line) is chrome


@pytest.mark.parametrize(
    ("line", "chrome"),
    [
        ("페이스북 트위터 카카오톡 URL복사", True),
        ("가 가 가", True),
        ("가+ 가-", True),
        ("인쇄 | 스크랩 | 기사공유", True),
        ("목록 바로가기", True),
        ("기사 메일전송", True),
        ("[광고]", True),
        ("AD", True),
        ("공유 경제가 확산되고 있다.", False),
    ],
)
def test_ui_text(line: str, chrome: bool) -> None:
    assert is_ui_text(line) is chrome


@pytest.mark.parametrize(
    ("line", "chrome"),
    [
        ("서울 3℃ 인천 2℃ 수원 1℃ 춘천 -4℃", True),
        ("기상청 제공", True),
        ("낮 최고기온은 31℃까지 오르겠다.", False),
    ],
)
def test_weather_ticker(line: str, chrome: bool) -> None:
    assert is_weather_ticker(line) is chrome


@pytest.mark.parametrize(
    ("line", "chrome"),
    [
        ("홍길동 기자 | 입력 2024.06.13 11:10 | 수정 2024.06.13 12:00", True),
        ("• 등록 2024-06-13 11:10:01", True),
        ("승인 2018.03.02 14:03 | 조회수 1,204", True),
        ("원서는 등록 2024.06.13까지 받는다.", False),
    ],
)
def test_dateline(line: str, chrome: bool) -> None:
    assert is_dateline(line) is chrome


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("관련기사", True),
        ("[관련기사]", True),
        ("가장 많이 본 뉴스", True),
        ("많이 본 기사", True),
        ("최신뉴스", True),
        ("관련 기사를 모아 보니 이렇다.", False),
    ],
)
def test_related_heading(line: str, heading: bool) -> None:
    assert is_related_heading(line) is heading


def test_collapse_spaces() -> None:
    assert collapse_spaces(" 의료\u00a0관광\u200b \n\t 팸투어\u3000") == "의료 관광 팸투어"


def body_of(html: str) -> list[str]:
    return paragraphs(
        Selector(text=f"<html><body><div id='b'>{html}</div></body></html>").css("#b")[0].root
    )


def test_paragraphs_break_on_blocks_and_br() -> None:
    assert body_of("<p>하나<br>둘</p>셋<div>넷 <b>다섯</b></div>") == [
        "하나",
        "둘",
        "셋",
        "넷 다섯",
    ]


def test_captions_widgets_and_hidden_text_are_skipped() -> None:
    html = (
        "<figure><img src='a.jpg'><figcaption>사진 설명</figcaption></figure>"
        "<p>본문 첫 문단.</p>"
        "<div class='share-box'>페이스북으로 보내기</div>"
        "<div class='ad-box'>특가 세일</div>"
        "<table><tr><td class='caption'>표 사진 설명</td></tr></table>"
        "<span style='display:none'>숨은 글</span>"
        "<script>var x = '스크립트';</script>"
        "<p>본문 둘째 문단.</p>"
    )
    assert body_of(html) == ["본문 첫 문단.", "본문 둘째 문단."]


def test_related_list_without_markup_is_skipped() -> None:
    html = (
        "<p>본문 첫 문단.</p><div><strong>관련기사</strong><ul>"
        "<li><a href='/a'>다른 기사 제목 하나</a></li><li><a href='/b'>다른 기사 제목 둘</a></li>"
        "</ul></div><p>본문 둘째 문단.</p>"
    )
    assert body_of(html) == ["본문 첫 문단.", "본문 둘째 문단."]


def test_body_stops_at_the_copyright_line() -> None:
    html = "<p>본문.</p><p>저작권자 © 신문 무단전재 및 재배포 금지</p><p>많이 본 뉴스 제목</p>"
    assert body_of(html) == ["본문."]
