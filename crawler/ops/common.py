"""Shared helpers of the operations commands: date arguments, watchlists, Seoul time."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time, timedelta

from crawler import paths
from crawler.clock import SEOUL
from crawler.errors import ConfigError
from crawler.match import Watchlist, WatchlistError, load_watchlist

EARLIEST = date(2000, 1, 1)


class OpsError(ConfigError):
    """Bad input to an operations command; the message says what to change. Nothing was done."""


def check_date(text: str, *, today: date | None = None) -> date:
    """A YYYY-MM-DD date from 2000 up to today (Seoul), else OpsError."""
    try:
        d = date.fromisoformat(text)
    except ValueError:
        raise OpsError(f"{text!r} is not a date; write YYYY-MM-DD") from None
    if d < EARLIEST:
        raise OpsError(f"{text} is before 2000; nothing stored is that old")
    today = today or datetime.now(SEOUL).date()
    if d > today:
        raise OpsError(f"{text} is in the future (today is {today.isoformat()} in Seoul); give a past date")
    return d


def date_arg(text: str) -> date:
    """`check_date` for argparse (a bad date exits 2 with the message)."""
    try:
        return check_date(text)
    except OpsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def seoul_start(d: date) -> datetime:
    """Midnight of a Seoul calendar day, as UTC."""
    return datetime.combine(d, time(0), tzinfo=SEOUL).astimezone(UTC)


def seoul_end(d: date) -> datetime:
    """Midnight after a Seoul calendar day, as UTC (exclusive end)."""
    return seoul_start(d + timedelta(days=1))


def seoul_text(value: datetime | None) -> str:
    """`YYYY-MM-DD HH:MM` in Seoul, or empty."""
    return value.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M") if value else ""


def seoul_day(value: datetime) -> date:
    """The Seoul calendar day of a UTC time."""
    return value.astimezone(SEOUL).date()


def watchlist_for(watchlist_id: str) -> Watchlist:
    """Load and validate one watchlist by id (WatchlistError when missing or broken)."""
    path = paths.watchlists_dir() / f"{watchlist_id}.toml"
    if not path.exists():
        raise WatchlistError(
            f"no watchlist {watchlist_id!r} in {paths.watchlists_dir()} (set NEWSWATCH_WATCHLISTS_DIR)"
        )
    return load_watchlist(path)
