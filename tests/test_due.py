"""Which outlets a tick crawls: intervals, cron expressions with named weekdays, first runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler.registry import Outlet
from crawler.schedule.cadence import is_due

BASE = {"id": "x", "name": "x", "region": "서울", "home": "http://127.0.0.1:1/"}
NOW = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # Monday 10:00 in Seoul


@pytest.mark.parametrize(
    ("schedule", "last", "due"),
    [
        ({}, None, True),  # never crawled
        ({}, NOW - timedelta(minutes=31), True),  # default every 30m
        ({}, NOW - timedelta(minutes=10), False),
        ({"every": "2h"}, NOW - timedelta(minutes=90), False),
        ({"every": "2h"}, NOW - timedelta(minutes=119), True),  # within the tolerance
        ({"cron": "0 9 * * mon-fri"}, NOW - timedelta(hours=2), True),  # 09:00 Seoul passed since
        ({"cron": "0 9 * * sat,sun"}, NOW - timedelta(hours=2), False),  # Monday: not a weekend
        ({"cron": "0 11 * * mon"}, NOW - timedelta(hours=2), False),  # 11:00 Seoul not yet
    ],
)
def test_is_due(schedule: dict, last: datetime | None, due: bool) -> None:
    assert is_due(Outlet(**BASE, **schedule), last, NOW) is due
