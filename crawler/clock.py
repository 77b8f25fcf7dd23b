"""Seoul time: the zone every date of the office's day is read in, and how a Korean reader writes it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")
KO_WEEKDAYS = "월화수목금토일"  # Monday first, as date.weekday()


def seoul_text(when: datetime | None) -> str:
    """'2026-01-02 (금) 11:10' in Seoul; '' when unknown (templates say so)."""
    if when is None:
        return ""
    local = when.astimezone(SEOUL)
    return f"{local:%Y-%m-%d} ({KO_WEEKDAYS[local.weekday()]}) {local:%H:%M}"


def korean_time(when: datetime | None) -> str:
    """'12월 7일(월) 08:30' in Seoul; '' when unknown."""
    if when is None:
        return ""
    local = when.astimezone(SEOUL)
    return f"{local.month}월 {local.day}일({KO_WEEKDAYS[local.weekday()]}) {local:%H:%M}"


def korean_date(when: datetime | None) -> str:
    """'2026년 12월 7일(월)' in Seoul; '' when unknown."""
    if when is None:
        return ""
    local = when.astimezone(SEOUL)
    return f"{local.year}년 {local.month}월 {local.day}일({KO_WEEKDAYS[local.weekday()]})"
