"""Every setting a deployment changes, typed, defaulted and described once (NEWSWATCH_* variables).

`settings()` is the process's one instance, built on first use; the README's configuration table,
`deploy/newswatch.env.example` and `newswatch config` are generated from the fields below
(`python -m crawler.config --readme | --env-example`). Also the value types the registry, the
recipients file, the scheduler and prune share: Duration, ClockWindow and Cron.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from crawler.errors import ConfigError

ENV_PREFIX = "NEWSWATCH_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent  # where `--write` puts the docs
SEOUL = "Asia/Seoul"

# --- Duration: "30s", "5m", "2h", "1d", "2w", "1y" (365 days) ----------------------------------

_DURATION = re.compile(r"^(\d+)\s*([smhdwy])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def parse_duration(text: str, *, positive: bool = True) -> timedelta:
    """'30s', '5m', '2h', '1d', '2w', '1y' -> timedelta; ValueError (with the form) otherwise."""
    m = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if m is None or (positive and int(m.group(1)) == 0):
        kind = "a positive interval" if positive else "an interval"
        raise ValueError(f"{text!r}: write {kind} such as '30m', '2h' or '1d' (units s, m, h, d, w, y)")
    return timedelta(seconds=int(m.group(1)) * _UNIT_SECONDS[m.group(2)])


def duration_text(value: timedelta) -> str:
    """The shortest way to write a duration ('30m' rather than '1800s')."""
    seconds = int(value.total_seconds())
    for unit in ("d", "h", "m"):  # days rather than weeks: '14d' reads as the docs write it
        if seconds and seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


def _to_duration(positive: bool) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, timedelta):
            if positive and value <= timedelta(0):
                raise ValueError(f"{duration_text(value)!r} is not a positive duration")
            return value
        return parse_duration(value, positive=positive)

    return convert


_AS_TEXT = PlainSerializer(duration_text, return_type=str, when_used="json")
Duration = Annotated[timedelta, BeforeValidator(_to_duration(True)), _AS_TEXT]
"""A positive duration: '30s', '5m', '2h', '1d' (also 'w' weeks and 'y' years of 365 days)."""
DurationOrZero = Annotated[timedelta, BeforeValidator(_to_duration(False)), _AS_TEXT]
"""The same grammar, zero allowed (a registry `every`)."""


# --- ClockWindow: "HH:MM-HH:MM" in Seoul time, may wrap midnight ----------------------------------

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_WINDOW = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)$")


def parse_clock(value: str) -> time:
    """'08:30' -> time(8, 30); anything else is a ValueError with the expected form."""
    m = _CLOCK.match(value.strip())
    if not m:
        raise ValueError(f"{value!r} is not a time of day; write 24-hour 'HH:MM', e.g. '08:30'")
    return time(int(m.group(1)), int(m.group(2)))


@dataclass(frozen=True)
class ClockWindow:
    """Seoul wall-clock hours [start, end), wrapping midnight when end <= start; 24:00 is the day's end."""

    start: time
    end: time

    @classmethod
    def parse(cls, value: str) -> ClockWindow:
        m = _WINDOW.match(value.strip())
        if not m:
            raise ValueError(f"{value!r}: write a time range 'HH:MM-HH:MM', e.g. '22:00-07:00'")
        start = _window_clock(int(m.group(1)), int(m.group(2)))
        end = _window_clock(int(m.group(3)), int(m.group(4)))
        if start == end:
            raise ValueError(f"{value!r}: starts and ends at the same time; give a real range")
        return cls(start, end)

    def contains(self, clock: time) -> bool:
        """Whether a Seoul wall-clock time falls in the window."""
        if self.start < self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end

    @property
    def whole_day(self) -> bool:
        return self.start == time(0) and self.end == time.max

    def as_tuple(self) -> tuple[time, time]:
        return self.start, self.end

    def __str__(self) -> str:
        def hhmm(t: time) -> str:
            return "24:00" if t == time.max else t.strftime("%H:%M")

        return f"{hhmm(self.start)}-{hhmm(self.end)}"


def _window_clock(hour: int, minute: int) -> time:
    return time.max if hour == 24 else time(hour, minute)


def _to_window(value: Any) -> Any:
    return value if isinstance(value, ClockWindow) else ClockWindow.parse(value)


ClockWindowField = Annotated[ClockWindow, NoDecode, BeforeValidator(_to_window),
                             PlainSerializer(str, return_type=str, when_used="json")]


def _to_schedule_window(value: Any) -> Any:
    """'' and 'always' (and 00:00-24:00) mean all day: None."""
    if value is None or isinstance(value, ClockWindow):
        return value
    if str(value).strip().lower() in ("", "always"):
        return None
    window = ClockWindow.parse(str(value))
    return None if window.whole_day else window


ScheduleWindow = Annotated[ClockWindow | None, NoDecode, BeforeValidator(_to_schedule_window),
                           PlainSerializer(lambda w: str(w) if w else "always", return_type=str, when_used="json")]


# --- Cron: five fields, weekdays by name, checked by APScheduler's own parser ---------------------

_WEEKDAY_NUMBERS = re.compile(r"(^|[\s,/-])[0-7]([\s,/-]|$)")


def check_cron(value: str) -> str:
    """A crontab expression APScheduler accepts ('0 7 * * mon-fri'), returned with single spaces."""
    fields = value.split()
    if len(fields) != 5:
        raise ValueError("a cron expression has 5 fields: minute hour day month weekday")
    if _WEEKDAY_NUMBERS.search(fields[4]):
        raise ValueError("name weekdays ('mon-fri'), not numbers: cron and APScheduler number them differently")
    # imported here: only a registry with cron entries pays for APScheduler's import (start-up time)
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(" ".join(fields), timezone=SEOUL)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a cron expression APScheduler accepts ({exc}); "
                         "write e.g. '0 7 * * mon-fri' (minute 0-59, hour 0-23)") from None
    return value


Cron = Annotated[str, AfterValidator(check_cron)]


# --- the settings ----------------------------------------------------------------------------------

SECTIONS = {
    "paths": "where things live",
    "mail": "mail (unset host: mail goes to $NEWSWATCH_HOME/outbox/ as .eml files)",
    "crawl": "crawling",
    "logs": "logging",
    "web": "the dashboard and feedback links",
    "monitor": "monitoring",
    "schedule": "the scheduler (`newswatch schedule`); durations are <number><s|m|h|d>, times Asia/Seoul",
    "bench": "bench and demo tools (never set these in production)",
}
MIN_SECRET_LENGTH = 16  # NEWSWATCH_SECRET and the secret file
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
# an empty value means the default, except where empty has its own meaning (the window: all day)
_EMPTY_IS_A_VALUE = frozenset({"schedule_window"})
_NOT_STRIPPED = frozenset({"smtp_password", "subject_prefix"})  # as the code read them before


def _f(default: Any, description: str, section: str, *, shown: str | None = None, example: str | None = None,
       scrapy: bool = False, bench: bool = False, alias: str | None = None, **kw: Any) -> Any:
    """A setting: its default, the one line the README and env template show, and where it belongs.
    `shown` is the default as the docs write it when the value is computed (None)."""
    extra: dict[str, Any] = {"section": section, "shown": shown, "example": example, "scrapy": scrapy, "bench": bench}
    return Field(default, description=description, validation_alias=alias, json_schema_extra=extra, **kw)


class Settings(BaseSettings):
    """The deployment's configuration, from NEWSWATCH_* (and SENTRY_*) environment variables."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True,
                                      validate_default=False, populate_by_name=True)

    # --- paths
    home: Path | None = _f(None, "what runs write: newswatch.db (SQLite), outbox/, failures/, artifacts/, "
                           "bench/, logs/, secret.key", "paths", shown="var/ at the project root",
                           example="/var/lib/newswatch")
    db_url: str | None = _f(None, "the database: SQLite (WAL) for one host, PostgreSQL for production and "
                            "scale-out", "paths", shown="sqlite:///$NEWSWATCH_HOME/newswatch.db",
                            example="postgresql+psycopg://newswatch:secret@127.0.0.1:5432/newswatch")
    db_timeout_s: float = _f(30.0, "seconds a run waits on a locked, paused or unreachable database (connect, "
                             "lock, statement); a crawl call waiting 4 x this ends the run with exit 75",
                             "paths", gt=0)
    outlets_file: Path | None = _f(None, "the outlet registry", "paths", shown="spiders/outlets.toml",
                                   example="/etc/newswatch/outlets.toml")
    watchlists_dir: Path | None = _f(None, "one <id>.toml per watchlist", "paths", shown="settings/watchlists/",
                                     example="/etc/newswatch/watchlists")
    recipients_file: Path | None = _f(None, "who gets what, when; maintainers listed apart", "paths",
                                      shown="settings/recipients.toml", example="/etc/newswatch/recipients.toml")

    # --- mail
    smtp_host: str = _f("", "the SMTP relay; unset: mail is written to $NEWSWATCH_HOME/outbox/", "mail",
                        shown="unset", example="smtp.example.org")
    smtp_port: int | None = _f(None, "the relay's port", "mail", shown="587 (ssl: 465, none: 25)",
                               example="587", ge=1, le=65535)
    smtp_security: Literal["starttls", "ssl", "none"] = _f("starttls", "starttls, ssl or none", "mail")
    smtp_user: str = _f("", "the SMTP login", "mail", shown="unset", example="newswatch")
    smtp_password: SecretStr = _f(SecretStr(""), "the SMTP password (never logged or shown)", "mail",
                                  shown="unset")
    smtp_from: str = _f("newswatch@localhost", "the From address of every mail", "mail",
                        example="newswatch@example.org")
    smtp_reply_to: str = _f("", "the Reply-To address (the office team)", "mail", shown="unset",
                            example="tourism-team@example.org")
    smtp_timeout: int = _f(30, "seconds an SMTP connection may take", "mail", gt=0)
    smtp_cafile: Path | None = _f(None, "an extra CA bundle for a relay with a private certificate", "mail",
                                  shown="unset", example="/etc/newswatch/relay-ca.pem")
    alert_max_age_hours: float = _f(72.0, "older articles are stored and matched but never mailed (no flood "
                                    "on a first run)", "mail", gt=0)
    release_window_days: int = _f(14, "new articles are compared with the press releases of this many past "
                                  "days", "mail", ge=1)
    # --- crawling
    contact: str = _f("", "the contact address in the User-Agent (set it: outlets should be able to reach you)",
                      "crawl", shown="unset", example="ops@example.org")
    cpu_workers: int | None = _f(None, "processes that extract, sign and match pages while Scrapy downloads; "
                                 "above 0 one more process stores them (0 = all in the crawl process)",
                                 "crawl", shown="the other cores, at most 4", example="1", ge=0)
    redis_url: str = _f("", "scale-out through scrapy-redis: the scheduler enqueues, `newswatch worker` "
                        "processes crawl; unset: single-process crawling", "crawl", shown="unset",
                        example="redis://127.0.0.1:6379/0")
    redis_prefix: str = _f("newswatch", "key prefix of the shared queue and duplicate filter: one per "
                           "deployment sharing a Redis", "crawl")
    max_list_pages: int = _f(10, "pages a list or archive is followed back at most (paging stops earlier at a "
                             "page with nothing new)", "crawl", scrapy=True, ge=1)
    robots_max_age_hours: float = _f(24.0, "hours a robots.txt is kept in the store before it is fetched again",
                                     "crawl", scrapy=True, gt=0)
    retry_backoff_base: float = _f(2.0, "seconds before the first retry of a failed request, doubled per "
                                   "attempt", "crawl", scrapy=True, ge=0)
    revisit_max_age_hours: float = _f(48.0, "matched articles younger than this are fetched again for "
                                      "corrections", "crawl", scrapy=True, ge=0)
    revisit_every_hours: float = _f(6.0, "hours between two revisits of one article", "crawl", scrapy=True, gt=0)
    revisits_per_outlet: int = _f(1, "revisits per outlet per tick", "crawl", scrapy=True, ge=0)
    progress: Literal["auto", "always", "never"] = _f("auto", "progress lines on stderr: auto (only on a "
                                                      "terminal), always or never", "crawl", scrapy=True)
    progress_interval: float = _f(5.0, "seconds between two progress lines", "crawl", scrapy=True, gt=0)

    # --- logging
    log_level: str = _f("INFO", "the log level (CRITICAL, ERROR, WARNING, INFO, DEBUG); the demo: WARNING",
                        "logs")
    log_file: str = _f("", "a log file shared by every process: 1 = $NEWSWATCH_HOME/logs/newswatch.log, or a "
                       "path; every process appends to it and reopens it when logrotate (deploy/logrotate.conf) moves it", "logs", shown="unset: stderr only",
                       example="1")
    log_format: Literal["text", "json"] = _f("text", "text, or json: one JSON object per line in the log file "
                                             "(time in UTC, level, component, logger, pid, message)",
                                             "logs")

    # --- web
    web_host: str = _f("127.0.0.1", "the address `newswatch web` listens on", "web")
    web_port: int = _f(8650, "the port `newswatch web` listens on (0 picks a free one)", "web", ge=0, le=65535)
    web_url: str = _f("", "the address the office opens feedback links at (관련 있음 / 관련 없음 / 이 매체 제외); "
                      "unset: mail carries no feedback links", "web", shown="unset",
                      example="https://newswatch.city.example")
    secret: SecretStr | None = _f(None, "signs the feedback links in mail (16 characters or more)", "web",
                                  shown="$NEWSWATCH_HOME/secret.key, created on first use")

    # --- monitoring
    sentry_dsn: SecretStr = _f(SecretStr(""), "error reporting to Sentry; unset: nothing is sent", "monitor",
                               shown="unset", alias="SENTRY_DSN")
    sentry_environment: str = _f("", "the Sentry environment tag", "monitor", shown="unset",
                                 alias="SENTRY_ENVIRONMENT", example="production")
    sentry_release: str = _f("", "the Sentry release tag", "monitor", shown="unset", alias="SENTRY_RELEASE")

    # --- the scheduler
    schedule_window: ScheduleWindow = _f(ClockWindow(time(6), time(23)), "Seoul hours in which interval crawl "
                                         "ticks run ('HH:MM-HH:MM', may wrap midnight, or 'always'); an outlet "
                                         "with a `cron` follows its own", "schedule", shown="06:00-23:00",
                                         example="06:00-23:00")
    schedule_tick: Duration | None = _f(None, "how often a crawl tick looks for due outlets", "schedule",
                                        shown="the shortest `every` in the registry (30m)", example="30m")
    schedule_send_every: Duration = _f(timedelta(minutes=3), "how often the outbox is drained (immediate "
                                       "alerts; digests at their times)", "schedule")
    schedule_heartbeat_every: Duration = _f(timedelta(seconds=30), "how often the scheduler's heartbeat row "
                                            "is written", "schedule")
    schedule_reload_every: Duration = _f(timedelta(minutes=1), "how often the registry and recipients files "
                                         "are checked for changes", "schedule")
    schedule_health_every: Duration = _f(timedelta(minutes=15), "how often the health check runs", "schedule")
    schedule_crawl_timeout: Duration = _f(timedelta(minutes=45), "a crawl tick running longer is stopped "
                                          "(SIGTERM, then SIGKILL); the next tick runs", "schedule")
    schedule_stop_grace: Duration = _f(timedelta(seconds=20), "how long a stopped crawl gets between SIGTERM "
                                       "and SIGKILL (keep it well under systemd's TimeoutStopSec=60)", "schedule")
    schedule_misfire_grace: Duration = _f(timedelta(minutes=15), "after downtime a missed run is made up once "
                                          "if it is at most this late", "schedule")
    schedule_keep_crawler: bool = _f(True, "keep one crawl process between ticks (imports, registry and Scrapy "
                                     "set-up paid once, not per tick); false: a `newswatch crawl -q` process per "
                                     "tick", "schedule", shown="true", example="true")
    schedule_crawl_args: str = _f("", "extra arguments for each tick's `newswatch crawl -q`, e.g. Scrapy "
                                  "settings", "schedule", shown="none", example="-s CONCURRENT_REQUESTS=32")
    schedule_cadence: Literal["fixed", "adaptive"] = _f("fixed", "outlets without `every`/`cron`: fixed (every "
                                                        "30m) or adaptive (learned from the store, within the "
                                                        "budget)", "schedule")
    schedule_budget: float | None = _f(None, "adaptive: polls per hour over all adaptive outlets, averaged over "
                                       "a day", "schedule", shown="outlets x 3600 / BASE_EVERY", example="36000",
                                       gt=0)
    schedule_base_every: Duration = _f(timedelta(minutes=30), "adaptive: the fixed interval whose cost is the "
                                       "default budget", "schedule")
    schedule_min_every: Duration = _f(timedelta(minutes=2), "adaptive: never poll an outlet more often (per "
                                      "outlet: min_every)", "schedule")
    schedule_max_every: Duration = _f(timedelta(hours=1), "adaptive: never poll an outlet less often (per "
                                      "outlet: max_every)", "schedule")
    schedule_objective: Literal["p95", "mean"] = _f("p95", "adaptive: what to make short, the 95th-percentile "
                                                    "or the mean publication-to-alert delay", "schedule")
    schedule_lookback: Duration = _f(timedelta(days=14), "adaptive: how far back first-seen times are "
                                     "learned from", "schedule")

    # --- bench and demo tools
    schedule_time_scale: float | None = _f(None, "run the scheduler's clock F times faster than the wall "
                                           "clock (the freshness bench's compressed time)", "bench",
                                           shown="unset: real time", bench=True, gt=0)
    schedule_time_anchor: datetime | None = _f(None, "with TIME_SCALE: the wall instant where simulated and "
                                               "wall time agree", "bench", shown="unset", bench=True,
                                               example="2026-12-07T05:00:00+00:00")
    schedule_time_lag: Duration | None = _f(None, "with TIME_SCALE: how far simulated time is behind the wall "
                                            "clock at the anchor", "bench", shown="0", bench=True, example="11h")
    demo_home: Path | None = _f(None, "the demo's own directory (`newswatch demo`)", "bench",
                                shown="var/demo/ at the project root", bench=True)
    fault_seed: int | None = _f(None, "the fault bench's random seed (`python -m bench --only faults`)", "bench",
                                shown="random", bench=True)

    subject_prefix: str = _f("", "a prefix on every subject ('[데모] ' on the demo's mail)", "bench",
                             shown="none", bench=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: Any) -> Any:
        """Values are stripped, and an empty one means the default, as an unset one does."""
        if not isinstance(data, dict):
            return data
        out = {}
        for key, value in data.items():
            name = _FIELD_BY_KEY.get(key, key)
            if isinstance(value, str):
                if name not in _NOT_STRIPPED:
                    value = value.strip()
                if value == "" and name not in _EMPTY_IS_A_VALUE:
                    continue
            out[key] = value
        return out

    @field_validator("smtp_security", "log_format", "progress", "schedule_cadence", "schedule_objective",
                     mode="before")
    @classmethod
    def _lower(cls, v: Any) -> Any:
        return v.lower() if isinstance(v, str) else v

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, v: Any) -> Any:
        if isinstance(v, str) and v.upper() in LOG_LEVELS:
            return v.upper()
        raise ValueError(f"write one of {', '.join(LOG_LEVELS)}")

    @field_validator("web_url")
    @classmethod
    def _web_url(cls, v: str) -> str:
        if v and urlsplit(v).scheme not in ("http", "https"):
            raise ValueError("give the public address, e.g. https://newswatch.city.example")
        return v.rstrip("/")

    @field_validator("secret")
    @classmethod
    def _secret(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value().strip()) < MIN_SECRET_LENGTH:
            raise ValueError(f"too short; give at least {MIN_SECRET_LENGTH} characters (or unset it to use $NEWSWATCH_HOME/secret.key)")
        return v

    @field_validator("schedule_crawl_args")
    @classmethod
    def _args(cls, v: str) -> str:
        try:
            shlex.split(v)
        except ValueError as exc:
            raise ValueError(f"not a shell-quoted argument list ({exc})") from None
        return v

    @field_validator("schedule_time_anchor")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        return v.replace(tzinfo=UTC) if v is not None and v.tzinfo is None else v

    @model_validator(mode="after")
    def _together(self) -> Settings:
        if self.schedule_min_every > self.schedule_max_every:
            raise ValueError(f"NEWSWATCH_SCHEDULE_MIN_EVERY ({duration_text(self.schedule_min_every)}) is longer "
                             f"than NEWSWATCH_SCHEDULE_MAX_EVERY ({duration_text(self.schedule_max_every)}); "
                             "make the minimum the shorter")
        if self.schedule_time_scale not in (None, 1.0) and self.schedule_time_anchor is None:
            raise ValueError("NEWSWATCH_SCHEDULE_TIME_SCALE is set: also set NEWSWATCH_SCHEDULE_TIME_ANCHOR, the "
                             "wall instant where simulated and wall time agree, e.g. 2026-12-07T05:00:00+00:00")
        return self

    # --- derived values
    def smtp_port_or_default(self) -> int:
        return self.smtp_port if self.smtp_port is not None else {"starttls": 587, "ssl": 465, "none": 25}[
            self.smtp_security]

    def scrapy_settings(self) -> dict[str, Any]:
        """The NEWSWATCH_* Scrapy settings (settings/__init__.py): `-s NAME=…` still overrides them."""
        return {env_name(name): getattr(self, name) for name in Settings.model_fields if _extra(name)["scrapy"]}

    def source(self, name: str) -> str:
        """'environment' when the variable gave the value, else 'default'."""
        return "environment" if name in self.model_fields_set else "default"


def _extra(name: str) -> dict[str, Any]:
    extra = Settings.model_fields[name].json_schema_extra
    return extra if isinstance(extra, dict) else {}


def env_name(name: str) -> str:
    """The environment variable of a field (NEWSWATCH_<NAME>, or its alias)."""
    alias = Settings.model_fields[name].validation_alias
    return alias if isinstance(alias, str) else ENV_PREFIX + name.upper()


_FIELD_BY_KEY = {env_name(n): n for n in Settings.model_fields} | {n: n for n in Settings.model_fields} | {
    a.lower(): n for n in Settings.model_fields if isinstance(a := Settings.model_fields[n].validation_alias, str)}


# --- one instance per process ------------------------------------------------------------------------

_current: Settings | None = None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build and check the settings from the environment (or `env`); a bad value is a ConfigError
    naming the variable and the fix."""
    try:
        if env is None:
            return Settings()
        values = {name: env[var] for name in Settings.model_fields if (var := env_name(name)) in env}
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError("; ".join(_describe(e) for e in exc.errors())) from None


def _describe(err: Any) -> str:
    """One pydantic error as `VAR='value': what is wrong; the fix`."""
    loc = err.get("loc") or ()
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    if not loc:
        return msg
    key = str(loc[0])
    name = _FIELD_BY_KEY.get(key, _FIELD_BY_KEY.get(key.lower(), key))
    if name not in Settings.model_fields:
        return f"{key}: {msg}"
    value = "****" if _is_secret(name) else err.get("input")
    ctx = {k: f"{v:g}" if isinstance(v, float) else v for k, v in (err.get("ctx") or {}).items()}
    kind = str(err.get("type", ""))
    number = "a whole number" if "int" in str(Settings.model_fields[name].annotation) else "a number"
    plain = {"float_parsing": f"give {number}", "int_parsing": f"give {number}", "int_from_float": f"give {number}",
             "greater_than": f"give {number} greater than {ctx.get('gt')}",
             "greater_than_equal": f"give {number}, {ctx.get('ge')} or more",
             "less_than_equal": f"give {number}, {ctx.get('le')} or less",
             "datetime_from_date_parsing": "give an ISO date and time", "datetime_parsing": "give an ISO date and time",
             "path_type": "give a path"}.get(kind)
    if kind == "literal_error":
        return f"{env_name(name)}={value!r}: write {ctx.get('expected')}"
    if plain is None:  # our own validators' messages start with the value: said once
        own = msg.removeprefix(f"{err.get('input')!r}: ")
        return f"{env_name(name)}={value!r}: {own}"
    extra = _extra(name)
    return f"{env_name(name)}={value!r}: {plain}, e.g. {extra['example'] or _shown_default(name)}"


def settings() -> Settings:
    """The process's settings, built on first use."""
    global _current
    if _current is None:
        _current = load_settings()
    return _current


def reset_settings() -> None:
    """Forget the built settings (after the environment changed: the demo, tests)."""
    global _current
    _current = None


# --- what the docs and `newswatch config` show ------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    name: str  # the environment variable
    value: Any  # JSON-ready; secrets masked
    source: str  # "environment" or "default"
    description: str
    section: str
    secret: bool


def _is_secret(name: str) -> bool:
    annotation = str(Settings.model_fields[name].annotation)
    return "SecretStr" in annotation


def mask_url(url: str) -> str:
    """A URL with the password of its userinfo replaced by ****."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:****@{netloc[1]}"))


def effective(s: Settings, computed: Mapping[str, Callable[[], Any]] | None = None) -> Iterator[Entry]:
    """Every setting with the value this process uses, secrets masked; `computed` gives the value of
    a setting whose default is worked out elsewhere (the paths)."""
    dumped = s.model_dump(mode="json")
    for name, field in Settings.model_fields.items():
        value = dumped[name]
        secret = _is_secret(name)
        if secret:
            raw = getattr(s, name)
            value = "****" if raw is not None and raw.get_secret_value() else None
        elif computed and name in computed and value is None:
            value = computed[name]()
        elif name in ("db_url", "redis_url") and value:
            value = mask_url(value)
        yield Entry(env_name(name), value, s.source(name), field.description or "", _extra(name)["section"], secret)


def _shown_default(name: str) -> str:
    extra = _extra(name)
    if extra["shown"]:
        return str(extra["shown"])
    field = Settings.model_fields[name]
    default = field.default
    if isinstance(default, timedelta):
        return duration_text(default)
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)


def readme_table() -> str:
    """The README's configuration table (between its generated-table markers)."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        note = " (bench/demo only)" if _extra(name)["bench"] else ""
        note += " (secret)" if _is_secret(name) else ""
        default = _shown_default(name) if _extra(name)["shown"] else f"`{_shown_default(name)}`"
        lines.append(f"| `{env_name(name)}` | {default} | {field.description}{note} |")
    return "\n".join(lines) + "\n"


def env_example() -> str:
    """deploy/newswatch.env.example: every setting commented out at its default or an example."""
    out = ["# newswatch settings (copy to /etc/newswatch/newswatch.env for systemd, or deploy/newswatch.env for",
           "# compose). Every setting is optional: unset means the default shown. systemd reads KEY=value lines",
           "# literally (no quotes, no shell expansion). Generated by `python -m crawler.config --env-example`",
           "# from crawler/config.py: edit the descriptions there, then `make docs`."]
    section = None
    for name, field in Settings.model_fields.items():
        extra = _extra(name)
        if extra["section"] != section:
            section = extra["section"]
            title = f"# --- {SECTIONS[section]} "
            out += ["", title + "-" * max(3, 100 - len(title))]
        out += textwrap.wrap(f"{field.description}. Default: {_shown_default(name)}", width=100,
                             initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False)
        example = extra["example"]
        if example is None:
            example = "" if _is_secret(name) or extra["shown"] else _shown_default(name)
        out.append(f"#{env_name(name)}={example}")
    return "\n".join(out) + "\n"


README_BEGIN = "<!-- generated from crawler/config.py by `make docs`: do not edit by hand -->"
README_END = "<!-- end of the generated table -->"


def readme_with_table(readme: str) -> str:
    """The README text with its generated table replaced by the current one."""
    head, sep, rest = readme.partition(README_BEGIN)
    _, sep2, tail = rest.partition(README_END)
    if not sep or not sep2:
        raise ConfigError(f"README.md has no {README_BEGIN} … {README_END} markers in '## Configuration'")
    return f"{head}{README_BEGIN}\n{readme_table()}{README_END}{tail}"


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m crawler.config --readme | --env-example [--write]`: the generated documentation."""
    parser = argparse.ArgumentParser(prog="python -m crawler.config", description=main.__doc__)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--readme", action="store_true", help="the README's configuration table")
    what.add_argument("--env-example", action="store_true", help="deploy/newswatch.env.example")
    parser.add_argument("--write", action="store_true", help="write it into the checkout instead of printing it")
    args = parser.parse_args(argv)
    if args.readme:
        target = PROJECT_ROOT / "README.md"
        text = readme_with_table(target.read_text(encoding="utf-8")) if args.write else readme_table()
    else:
        target = PROJECT_ROOT / "deploy" / "newswatch.env.example"
        text = env_example()
    if args.write:
        target.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
