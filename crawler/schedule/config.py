"""The scheduler's settings (NEWSWATCH_SCHEDULE_*), read once from the environment."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta

from crawler.errors import ConfigError

_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_WINDOW = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class ScheduleConfigError(ConfigError):
    """A NEWSWATCH_SCHEDULE_* value that cannot be used; the message names the variable."""


def parse_duration(value: str, name: str) -> timedelta:
    """'30s', '5m', '2h', '1d' -> timedelta; anything else names the variable and the form."""
    m = _DURATION.match(value.strip())
    if not m or int(m.group(1)) == 0:
        raise ScheduleConfigError(f"{name}={value!r}: write a positive duration such as '30s', '5m' or '2h'")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def env_duration(env: Mapping[str, str], key: str, default: timedelta) -> timedelta:
    """NEWSWATCH_SCHEDULE_<key> as a duration; unset or empty means `default`."""
    name = f"NEWSWATCH_SCHEDULE_{key}"
    raw = env.get(name, "").strip()
    return parse_duration(raw, name) if raw else default


def parse_window(value: str, name: str = "NEWSWATCH_SCHEDULE_WINDOW") -> tuple[time, time] | None:
    """'06:00-23:00' -> (start, end) in Asia/Seoul; '' or 'always' -> None (all day)."""
    text = value.strip().lower()
    if text in ("", "always", "00:00-24:00"):
        return None
    m = _WINDOW.match(text)
    if not m:
        raise ScheduleConfigError(f"{name}={value!r}: write 'HH:MM-HH:MM' (Asia/Seoul), e.g. '06:00-23:00', or 'always'")
    start = _clock(int(m.group(1)), int(m.group(2)))
    end = _clock(int(m.group(3)), int(m.group(4)))
    if start == end:
        raise ScheduleConfigError(f"{name}={value!r}: the window is empty; write 'always' for all day")
    return start, end


def _clock(hour: int, minute: int) -> time:
    return time.max if hour == 24 else time(hour, minute)


def in_window(window: tuple[time, time] | None, clock: time) -> bool:
    """Whether a Seoul wall-clock time falls in the window (which may wrap midnight)."""
    if window is None:
        return True
    start, end = window
    return start <= clock < end if start < end else (clock >= start or clock < end)


@dataclass(frozen=True)
class ScheduleConfig:
    """Every scheduler setting, with the defaults documented in deploy/newswatch.env.example."""

    window: tuple[time, time] | None = (time(6), time(23))
    tick: timedelta | None = None  # None: the shortest outlet interval in the registry
    send_every: timedelta = timedelta(minutes=3)
    heartbeat_every: timedelta = timedelta(seconds=30)
    reload_every: timedelta = timedelta(minutes=1)
    health_every: timedelta = timedelta(minutes=15)
    crawl_timeout: timedelta = timedelta(minutes=45)
    stop_grace: timedelta = timedelta(seconds=20)
    misfire_grace: timedelta = timedelta(minutes=15)
    crawl_args: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ScheduleConfig:
        """Read NEWSWATCH_SCHEDULE_*; unset or empty means the default."""
        env = os.environ if env is None else env
        base = cls()

        def dur(key: str, default: timedelta) -> timedelta:
            return env_duration(env, key, default)

        window_raw = env.get("NEWSWATCH_SCHEDULE_WINDOW")
        tick_raw = env.get("NEWSWATCH_SCHEDULE_TICK", "").strip()
        return cls(
            window=base.window if window_raw is None else parse_window(window_raw),
            tick=parse_duration(tick_raw, "NEWSWATCH_SCHEDULE_TICK") if tick_raw else None,
            send_every=dur("SEND_EVERY", base.send_every),
            heartbeat_every=dur("HEARTBEAT_EVERY", base.heartbeat_every),
            reload_every=dur("RELOAD_EVERY", base.reload_every),
            health_every=dur("HEALTH_EVERY", base.health_every),
            crawl_timeout=dur("CRAWL_TIMEOUT", base.crawl_timeout),
            stop_grace=dur("STOP_GRACE", base.stop_grace),
            misfire_grace=dur("MISFIRE_GRACE", base.misfire_grace),
            crawl_args=tuple(shlex.split(env.get("NEWSWATCH_SCHEDULE_CRAWL_ARGS", ""))),
        )
