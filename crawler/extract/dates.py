"""Korean and ISO date texts → timezone-aware datetimes, and the plausibility window for them.

Seen on Korean news pages: `입력 2024.06.13 11:10`, `등록 2024-06-13 11:10:01`, `승인 2024.06.13 11:10`,
`기사입력 2024/06/13 11:10`, `2026년 01월 02일 (금)`, `2026년 1월 2일 오후 3시 5분`, gnuboard's
`24-06-13 11:10`, and ISO 8601 in metadata. A time without an offset is Korea time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from crawler.clock import SEOUL

EARLIEST = datetime(2000, 1, 1, tzinfo=SEOUL)
MAX_FUTURE = timedelta(days=1)

_WEEKDAY = r"(?:\s*[(\[]\s*[월화수목금토일](?:요일)?\s*[)\]])?"
_AMPM = r"(?:(?P<ampm>오전|오후|AM|PM|am|pm|a\.m\.|p\.m\.)\s*)?"
_CLOCK = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?"
_OFFSET = r"(?:\s*(?P<offset>Z|[+-]\d{2}:?\d{2})(?!\d))?"

_PATTERNS = (
    # ISO 8601 and its look-alikes: 2024-06-13T11:10:01+09:00, 2024.06.13 11:10, 2024/06/13 오후 3:10
    re.compile(
        r"(?<!\d)(?P<year>\d{4})\s*[-./]\s*(?P<month>\d{1,2})\s*[-./]\s*(?P<day>\d{1,2})(?!\d)\.?"
        + _WEEKDAY
        + r"(?:(?:T|\s+|\s*,\s*)"
        + _AMPM
        + _CLOCK
        + _OFFSET
        + r")?"
    ),
    # 2026년 1월 2일 (금) 오후 3시 5분, 2026년 01월 02일 15:05
    re.compile(
        r"(?P<year>\d{4})\s*년\s*(?P<month>\d{1,2})\s*월\s*(?P<day>\d{1,2})\s*일"
        + _WEEKDAY
        + r"(?:\s*"
        + _AMPM
        + r"(?:(?P<khour>\d{1,2})\s*시(?:\s*(?P<kminute>\d{1,2})\s*분)?"
        r"(?:\s*(?P<ksecond>\d{1,2})\s*초)?|" + _CLOCK + r"))?"
    ),
    # gnuboard's two-digit year: 24-06-13 11:10 (a time is required to tell it from other numbers)
    re.compile(
        r"(?<![\d.\-/])(?P<year>\d{2})[-./](?P<month>\d{2})[-./](?P<day>\d{2})(?![\d.\-/])\s+"
        + _CLOCK
    ),
    # compact metadata stamps: 20240613111000 (og:regDate and friends)
    re.compile(
        r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})(?P<hour>\d{2})(?P<minute>\d{2})"
        r"(?P<second>\d{2})?$"
    ),
)

_PUBLISHED_LABELS = ("기사입력", "최초입력", "입력", "등록", "승인", "게재", "작성", "발행", "송고")
_MODIFIED_LABELS = ("기사수정", "최종수정", "최종 수정", "수정", "업데이트", "갱신")
_LABEL = re.compile(
    r"(?P<label>" + "|".join(map(re.escape, _PUBLISHED_LABELS + _MODIFIED_LABELS)) + r")"
    r"(?:\s*(?:일자|일시|일|시간|시각))?\s*[:：]?\s*(?=\d)"
)


# A label and the date after it, as text (for recognising date lines in bodies).
LABELLED_DATE = re.compile(
    _LABEL.pattern
    + r"\d{2,4}\s*[-./년]\s*\d{1,2}\s*[-./월]\s*\d{1,2}\s*일?\.?"
    + _WEEKDAY
    + r"(?:\s*"
    + _AMPM
    + r"\d{1,2}(?::\d{2}){1,2})?"
)


def _offset(text: str | None, default_tz: ZoneInfo | timezone) -> timezone | ZoneInfo:
    """A tzinfo for an ISO offset (`Z`, `+09:00`, `+0900`), or the default zone."""
    if not text:
        return default_tz
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4]))
    return UTC if not delta else timezone(sign * delta)


def _hour(value: int, ampm: str | None) -> int:
    """A 24-hour value from a 12-hour clock with 오전/오후 (or AM/PM)."""
    if not ampm:
        return value
    afternoon = ampm.lower().startswith(("오후", "p"))
    if afternoon and value < 12:
        return value + 12
    if not afternoon and value == 12:
        return 0
    return value


def _build(match: re.Match[str], default_tz: ZoneInfo | timezone) -> datetime | None:
    """A datetime from one pattern match, or None when the numbers are not a real date."""
    g = match.groupdict()
    year = int(g["year"])
    if year < 100:
        year += 2000
    hour = g.get("hour") or g.get("khour") or "0"
    minute = g.get("minute") or g.get("kminute") or "0"
    second = g.get("second") or g.get("ksecond") or "0"
    try:
        return datetime(
            year,
            int(g["month"]),
            int(g["day"]),
            _hour(int(hour), g.get("ampm")),
            int(minute),
            int(second),
            tzinfo=_offset(g.get("offset"), default_tz),
        )
    except ValueError:
        return None


def parse_korean_datetime(text: str, *, default_tz: ZoneInfo | timezone = SEOUL) -> datetime | None:
    """The first date (with its time, if any) in `text`, timezone-aware; None if there is none."""
    if not text:
        return None
    text = text.strip()
    found: list[tuple[int, datetime]] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            value = _build(match, default_tz)
            if value is not None:
                found.append((match.start(), value))
                break
    return min(found, key=lambda item: item[0])[1] if found else None


def _kind(label: str) -> str:
    """The kind of date a label introduces: "published" or "modified"."""
    return "modified" if label in _MODIFIED_LABELS else "published"


def find_labelled_dates(text: str) -> dict[str, datetime]:
    """Dates after 입력/등록/승인/… ("published") and 수정/업데이트/… ("modified"); first of each wins."""
    found: dict[str, datetime] = {}
    for match in _LABEL.finditer(text or ""):
        kind = _kind(match.group("label"))
        if kind in found:
            continue
        value = parse_korean_datetime(text[match.end() : match.end() + 40])
        if value is not None:
            found[kind] = value
        if len(found) == 2:
            break
    return found


def check_date(value: datetime | None, now: datetime) -> tuple[datetime | None, str | None]:
    """The value if plausible (2000-01-01 .. now + 1 day), else None with the reason."""
    if value is None:
        return None, None
    if value < EARLIEST:
        return None, f"{value.isoformat()} is before 2000-01-01"
    if value > now + MAX_FUTURE:
        return None, f"{value.isoformat()} is more than a day in the future"
    return value, None
