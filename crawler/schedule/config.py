"""The scheduler's settings (NEWSWATCH_SCHEDULE_*), taken from the process's settings object."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta

from crawler import config
from crawler.config import ClockWindow
from crawler.errors import ConfigError


class ScheduleConfigError(ConfigError):
    """A NEWSWATCH_SCHEDULE_* value (or a flag) that cannot be used; the message names it."""


def parse_duration(value: str, name: str) -> timedelta:
    """'30s', '5m', '2h', '1d' -> timedelta; anything else names the variable (or flag) and the form."""
    try:
        return config.parse_duration(value)
    except ValueError:
        raise ScheduleConfigError(f"{name}={value!r}: write a positive duration such as '30s', '5m' or '2h'") from None


def parse_window(value: str, name: str = "NEWSWATCH_SCHEDULE_WINDOW") -> ClockWindow | None:
    """'06:00-23:00' -> the window in Asia/Seoul; '', 'always' or '00:00-24:00' -> None (all day)."""
    text = value.strip().lower()
    if text in ("", "always"):
        return None
    try:
        window = ClockWindow.parse(text)
    except ValueError as exc:
        raise ScheduleConfigError(f"{name}={value!r}: {exc} (Asia/Seoul), or 'always'") from None
    return None if window.whole_day else window


def in_window(window: ClockWindow | None, clock: time) -> bool:
    """Whether a Seoul wall-clock time falls in the window (None: all day)."""
    return window is None or window.contains(clock)


@dataclass(frozen=True)
class ScheduleConfig:
    """Every scheduler setting; the defaults are those of crawler.config.Settings."""

    window: ClockWindow | None = ClockWindow(time(6), time(23))
    tick: timedelta | None = None  # None: the shortest outlet interval in the registry
    send_every: timedelta = timedelta(minutes=3)
    heartbeat_every: timedelta = timedelta(seconds=30)
    reload_every: timedelta = timedelta(minutes=1)
    health_every: timedelta = timedelta(minutes=15)
    crawl_timeout: timedelta = timedelta(minutes=45)
    stop_grace: timedelta = timedelta(seconds=20)
    misfire_grace: timedelta = timedelta(minutes=15)
    crawl_args: tuple[str, ...] = ()
    keep_crawler: bool = True

    @classmethod
    def from_settings(cls, s: config.Settings) -> ScheduleConfig:
        return cls(
            window=s.schedule_window,
            tick=s.schedule_tick,
            send_every=s.schedule_send_every,
            heartbeat_every=s.schedule_heartbeat_every,
            reload_every=s.schedule_reload_every,
            health_every=s.schedule_health_every,
            crawl_timeout=s.schedule_crawl_timeout,
            stop_grace=s.schedule_stop_grace,
            misfire_grace=s.schedule_misfire_grace,
            crawl_args=tuple(shlex.split(s.schedule_crawl_args)),
            keep_crawler=s.schedule_keep_crawler,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ScheduleConfig:
        """The process's settings, or those of `env` (unset or empty means the default)."""
        return cls.from_settings(config.settings() if env is None else config.load_settings(env))
