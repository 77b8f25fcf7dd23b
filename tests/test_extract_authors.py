"""Reporter names from bylines."""

from __future__ import annotations

import pytest

from crawler.extract.authors import clean_authors


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("홍길동 기자 hong@x.com", ["홍길동"]),
        ("홍길동 기자", ["홍길동"]),
        ("홍길동·김철수 기자", ["홍길동", "김철수"]),
        ("홍길동 기자, 김철수 기자", ["홍길동", "김철수"]),
        ("홍길동 기자 김철수 기자", ["홍길동", "김철수"]),
        ("홍길동/김철수 기자", ["홍길동", "김철수"]),
        ("워싱턴 홍길동 특파원", ["홍길동"]),
        ("뉴욕=홍길동 특파원", ["홍길동"]),
        ("(인천=연합뉴스) 홍길동 기자", ["홍길동"]),
        ("[새인천일보] 홍길동 선임기자", ["홍길동"]),
        ("글·사진 홍길동 기자", ["홍길동"]),
        ("사진=홍길동 기자", ["홍길동"]),
        ("• 홍길동 기자", ["홍길동"]),
        ("By 배윤경,이상현,한수진,김혜진", ["배윤경", "이상현", "한수진", "김혜진"]),
        ("김태균 오이석기자 windsea@example.kr", ["김태균", "오이석"]),
        ("민태원 생활과학부 차장", ["민태원"]),
        ("남궁민수 기자", ["남궁민수"]),
        ("편집국 기자", ["편집국"]),
        ("John Smith and Jane Doe", ["John Smith", "Jane Doe"]),
        ("hong@x.com", []),
        ("", []),
    ],
)
def test_clean_authors(byline: str, names: list[str]) -> None:
    assert clean_authors([byline]) == names


def test_duplicates_and_site_names_are_dropped() -> None:
    assert clean_authors(["홍길동 기자", "홍길동", "새인천일보"], exclude=["새인천일보"]) == [
        "홍길동"
    ]
