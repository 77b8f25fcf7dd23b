"""Korean public holidays (공휴일), for digests that skip them.

From the `holidays` package (lunar, election, substitute and newly legislated days, every year);
days it cannot know yet (a temporary holiday declared at short notice) go in the recipients
file's `holidays` list.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

import holidays as _holidays


@lru_cache(maxsize=64)
def _year(year: int) -> frozenset[date]:
    return frozenset(_holidays.country_holidays("KR", years=year))


def is_holiday(day: date, extra: Iterable[date] = ()) -> bool:
    """True on a Korean public holiday or one of the `extra` days."""
    return day in _year(day.year) or day in set(extra)
