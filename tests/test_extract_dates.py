"""Korean and ISO date texts → timezone-aware datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from crawler.extract.dates import check_date, find_labelled_dates, parse_korean_datetime

SEOUL = ZoneInfo("Asia/Seoul")


def kst(*args: int) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("입력 2024.06.13 11:10", kst(2024, 6, 13, 11, 10)),
        ("등록 2024-06-13 11:10:01", kst(2024, 6, 13, 11, 10, 1)),
        ("승인 2024.06.13 11:10", kst(2024, 6, 13, 11, 10)),
        ("수정 2024.06.13 11:10", kst(2024, 6, 13, 11, 10)),
        ("기사입력 2024/06/13 11:10", kst(2024, 6, 13, 11, 10)),
        ("2026년 01월 02일 (금)", kst(2026, 1, 2)),
        ("2026년 1월 2일 오후 3시 5분", kst(2026, 1, 2, 15, 5)),
        ("2026년 1월 2일 오전 12시", kst(2026, 1, 2, 0, 0)),
        ("2026년 1월 2일 15:05", kst(2026, 1, 2, 15, 5)),
        ("24-06-13 11:10", kst(2024, 6, 13, 11, 10)),
        ("작성일 24-06-13 11:10", kst(2024, 6, 13, 11, 10)),
        ("2024.06.13 오후 3:10", kst(2024, 6, 13, 15, 10)),
        ("2024. 6. 13. 11:10", kst(2024, 6, 13, 11, 10)),
        ("2024.06.13(목) 11:10", kst(2024, 6, 13, 11, 10)),
        ("2024-06-13", kst(2024, 6, 13)),
        ("2024-06-13T02:10:00Z", datetime(2024, 6, 13, 2, 10, tzinfo=UTC)),
        ("2024-06-13T11:10:00.000Z", datetime(2024, 6, 13, 11, 10, tzinfo=UTC)),
        ("2024-06-13T11:10:00+09:00", kst(2024, 6, 13, 11, 10)),
        ("2024-06-13T11:10:00+0900", kst(2024, 6, 13, 11, 10)),
        (
            "2024-06-13T11:10:00-05:00",
            datetime(2024, 6, 13, 11, 10, tzinfo=timezone(timedelta(hours=-5))),
        ),
        ("2024-06-13T11:10:00", kst(2024, 6, 13, 11, 10)),
        ("20240613111000", kst(2024, 6, 13, 11, 10)),
    ],
)
def test_parse(text: str, expected: datetime) -> None:
    value = parse_korean_datetime(text)
    assert value == expected
    assert value is not None and value.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text", ["", "조회수 1,204", "2024.13.40 11:10", "전화 032-000-0000", "99-99-99 11:10"]
)
def test_no_date(text: str) -> None:
    assert parse_korean_datetime(text) is None


def test_the_source_offset_is_kept() -> None:
    value = parse_korean_datetime("2024-06-13T02:10:00Z")
    assert value is not None and value.utcoffset() == timedelta(0)


def test_default_zone_can_be_changed() -> None:
    assert parse_korean_datetime("2024-06-13 11:10", default_tz=UTC) == datetime(
        2024, 6, 13, 11, 10, tzinfo=UTC
    )


def test_first_date_in_the_text_wins() -> None:
    assert parse_korean_datetime("승인 2024.06.13 11:10 | 수정 2024.06.14 09:00") == kst(
        2024, 6, 13, 11, 10
    )


@pytest.mark.parametrize(
    ("text", "published", "modified"),
    [
        (
            "홍길동 기자 | 입력 2024.06.13 11:10 | 수정 2024.06.13 12:30",
            kst(2024, 6, 13, 11, 10),
            kst(2024, 6, 13, 12, 30),
        ),
        ("• 등록 2024-06-13 11:10:01 기사수정", kst(2024, 6, 13, 11, 10, 1), None),
        ("승인 2018.03.02 14:03", kst(2018, 3, 2, 14, 3), None),
        (
            "기사입력 2024/06/13 11:10 최종수정 2024/06/14 08:00",
            kst(2024, 6, 13, 11, 10),
            kst(2024, 6, 14, 8, 0),
        ),
        ("게재 일자 : 2024.06.13", kst(2024, 6, 13), None),
        ("게재일자: 2024.06.13", kst(2024, 6, 13), None),
        ("업데이트 2024.06.13 오후 1:05", None, kst(2024, 6, 13, 13, 5)),
        ("작성자 홍길동 조회 12회 작성일 24-06-13 11:10", kst(2024, 6, 13, 11, 10), None),
        ("입력하세요", None, None),
    ],
)
def test_labelled(text: str, published: datetime | None, modified: datetime | None) -> None:
    found = find_labelled_dates(text)
    assert found.get("published") == published
    assert found.get("modified") == modified


NOW = datetime(2026, 1, 2, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "kept", "reason"),
    [
        (kst(2026, 1, 2, 11, 0), True, None),
        (kst(2026, 1, 3, 11, 0), True, None),  # within a day ahead: clocks and time zones differ
        (kst(2026, 1, 4, 12, 0), False, "more than a day in the future"),
        (kst(1999, 12, 31, 23, 59), False, "before 2000-01-01"),
        (None, False, None),
    ],
)
def test_plausibility(value: datetime | None, kept: bool, reason: str | None) -> None:
    result, why = check_date(value, NOW)
    assert (result is not None) == kept
    assert (reason is None and why is None) or (
        reason is not None and why is not None and reason in why
    )
