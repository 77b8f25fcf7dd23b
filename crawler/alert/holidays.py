"""Korean public holidays (공휴일), for digests that skip them.

A small built-in table: the fixed-date holidays of any year, plus the lunar holidays, election
days, substitute (대체) and temporary (임시) holidays of 2024-2027. Days the table does not know
(a new temporary holiday, later years' lunar dates) go in the recipients file's `holidays` list.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

# (month, day) of the solar holidays, every year.
FIXED = ((1, 1), (3, 1), (5, 5), (6, 6), (8, 15), (10, 3), (10, 9), (12, 25))

# Lunar holidays (설날, 부처님오신날, 추석), election days, substitute and temporary holidays.
_TABLE = """
2024-02-09 2024-02-10 2024-02-11 2024-02-12 2024-04-10 2024-05-06 2024-05-15
2024-09-16 2024-09-17 2024-09-18 2024-10-01
2025-01-27 2025-01-28 2025-01-29 2025-01-30 2025-03-03 2025-05-06 2025-06-03
2025-10-05 2025-10-06 2025-10-07 2025-10-08
2026-02-16 2026-02-17 2026-02-18 2026-03-02 2026-05-24 2026-05-25 2026-06-03
2026-08-17 2026-09-24 2026-09-25 2026-09-26 2026-10-05
2027-02-06 2027-02-07 2027-02-08 2027-02-09 2027-05-13 2027-08-16 2027-09-14
2027-09-15 2027-09-16 2027-10-04 2027-10-11 2027-12-27
"""
TABLE = frozenset(date.fromisoformat(d) for d in _TABLE.split())
TABLE_YEARS = range(2024, 2028)


def is_holiday(day: date, extra: Iterable[date] = ()) -> bool:
    """True on a Korean public holiday (the built-in table) or one of the `extra` days."""
    return (day.month, day.day) in FIXED or day in TABLE or day in set(extra)
