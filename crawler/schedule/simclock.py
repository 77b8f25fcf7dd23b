"""Compressed time for the freshness bench (NEWSWATCH_SCHEDULE_TIME_SCALE / _TIME_ANCHOR).

A bench tool, not an operating mode: it lets the real daemon run a simulated half hour in a few
minutes of wall time. With scale F, anchor A (a wall instant) and lag L (NEWSWATCH_SCHEDULE_TIME_LAG,
default 0), the simulated time of a wall instant t is `A - L + (t - A) * F`: simulated time runs F
times faster and is L behind the wall clock at A, so before A it lags behind the wall clock (no
article of the bench's publisher is ever dated in the future). The lag lets the bench run the same
simulated hour of the Seoul day (a weekday morning) whatever the hour it is started at. The site server's publisher dates articles in simulated time; the scheduler then
reads every time it decides with (now, last crawls, first-seen history) in simulated time and
divides its tick by F, and a crawl divides its politeness waits by F (crawl.project: a 1-s
AutoThrottle delay between an outlet's feed and its new article counts one simulated second). What
is *not* scaled: the crawl's own work, cron jobs, the sender and the heartbeat (their
NEWSWATCH_SCHEDULE_* intervals are wall time), and every timestamp the store writes (wall time;
the bench maps them back).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from crawler import config

# the bench sets them
SCALE_VAR, ANCHOR_VAR, LAG_VAR = "NEWSWATCH_SCHEDULE_TIME_SCALE", "NEWSWATCH_SCHEDULE_TIME_ANCHOR", "NEWSWATCH_SCHEDULE_TIME_LAG"



@dataclass(frozen=True)
class SimClock:
    """Wall ↔ simulated time at `scale` simulated seconds per wall second, `lag` behind at `anchor`."""

    scale: float
    anchor: datetime
    lag: timedelta = timedelta(0)

    def sim(self, wall: datetime) -> datetime:
        return self.anchor - self.lag + (_aware(wall) - self.anchor) * self.scale

    def epoch_terms(self) -> tuple[float, float]:
        """(scale, offset) with sim = scale * wall + offset in epoch seconds: `sim` for a query
        that reads stored (wall) times in the database."""
        return self.scale, self.anchor.timestamp() * (1.0 - self.scale) - self.lag.total_seconds()

    def wall(self, sim: datetime) -> datetime:
        return self.anchor + (_aware(sim) + self.lag - self.anchor) / self.scale

    def wall_span(self, span: timedelta) -> timedelta:
        """A simulated duration in wall time."""
        return span / self.scale

    def now(self) -> datetime:
        return self.sim(datetime.now(UTC))

    def text(self) -> str:
        lag = f"~{self.lag.total_seconds():g}" if self.lag else ""
        return f"{self.scale:g}@{self.anchor.isoformat()}{lag}"

    @classmethod
    def parse(cls, text: str) -> SimClock:
        """'F@ISO-INSTANT' or 'F@ISO-INSTANT~LAG-SECONDS' (the form `text()` writes)."""
        scale, sep, rest = text.partition("@")
        if not sep:
            raise ValueError(f"{text!r}: write SCALE@ISO-INSTANT[~LAG-SECONDS], e.g. 5@2026-12-07T05:00:00+00:00~3600")
        anchor, _, lag = rest.partition("~")
        return cls(float(scale), _aware(datetime.fromisoformat(anchor)), timedelta(seconds=float(lag or 0)))


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def from_env(env: Mapping[str, str] | None = None) -> SimClock | None:
    """The bench's clock, or None (real time) when NEWSWATCH_SCHEDULE_TIME_SCALE is unset or 1."""
    s = config.settings() if env is None else config.load_settings(env)
    if s.schedule_time_scale is None or s.schedule_time_scale == 1 or s.schedule_time_anchor is None:
        return None
    return SimClock(s.schedule_time_scale, _aware(s.schedule_time_anchor), s.schedule_time_lag or timedelta(0))
