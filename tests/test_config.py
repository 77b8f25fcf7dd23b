"""The settings object: defaults, parsing, one-line errors, masking, `newswatch config`, the
generated docs, and the Duration/ClockWindow/Cron types the registry, recipients and scheduler share."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from crawler import config
from crawler.config import (
    ClockWindow,
    Settings,
    check_cron,
    load_settings,
    parse_duration,
    settings,
)
from crawler.errors import ConfigError
from tests.support.cli import cli_env, newswatch
from tests.support.env import ROOT


def test_defaults_are_those_the_code_used_before() -> None:
    s = load_settings({})
    assert (s.db_timeout_s, s.alert_max_age_hours, s.release_window_days, s.smtp_timeout) == (30.0, 72.0, 14, 30)
    assert (s.smtp_security, s.smtp_port_or_default(), s.smtp_from) == ("starttls", 587, "newswatch@localhost")
    assert (s.web_host, s.web_port, s.web_url, s.redis_prefix, s.log_level, s.log_format) == (
        "127.0.0.1", 8650, "", "newswatch", "INFO", "text")
    assert s.schedule_window == ClockWindow(time(6), time(23)) and s.schedule_tick is None
    assert (s.schedule_send_every, s.schedule_lookback, s.schedule_min_every, s.schedule_max_every) == (
        timedelta(minutes=3), timedelta(days=14), timedelta(minutes=2), timedelta(hours=1))
    assert s.cpu_workers is None and s.home is None and s.secret is None
    assert all(s.source(name) == "default" for name in Settings.model_fields)


def test_values_are_parsed_once_and_empty_means_default() -> None:
    s = load_settings({
        "NEWSWATCH_SCHEDULE_TICK": " 90s ", "NEWSWATCH_SMTP_SECURITY": "SSL", "NEWSWATCH_CPU_WORKERS": "0",
        "NEWSWATCH_WEB_URL": "https://nw.city.example/", "NEWSWATCH_DB_TIMEOUT_S": "",
        "NEWSWATCH_SCHEDULE_CADENCE": "Adaptive", "NEWSWATCH_LOG_LEVEL": "debug", "SENTRY_DSN": "https://k@s.example/1",
    })
    assert s.schedule_tick == timedelta(seconds=90) and s.smtp_security == "ssl" and s.smtp_port_or_default() == 465
    assert s.cpu_workers == 0 and s.web_url == "https://nw.city.example" and s.db_timeout_s == 30.0
    assert s.schedule_cadence == "adaptive" and s.log_level == "DEBUG"
    assert s.sentry_dsn.get_secret_value() == "https://k@s.example/1"
    assert s.source("schedule_tick") == "environment" and s.source("db_timeout_s") == "default"


@pytest.mark.parametrize(("window", "expected"), [
    ("always", None), ("", None), ("00:00-24:00", None), ("22:00-07:00", ClockWindow(time(22), time(7))),
    ("06:00 - 24:00", ClockWindow(time(6), time.max)),
])
def test_the_schedule_window(window: str, expected: ClockWindow | None) -> None:
    assert load_settings({"NEWSWATCH_SCHEDULE_WINDOW": window}).schedule_window == expected


@pytest.mark.parametrize(("env", "named"), [
    ({"NEWSWATCH_DB_TIMEOUT_S": "0"}, "NEWSWATCH_DB_TIMEOUT_S='0'"),
    ({"NEWSWATCH_CPU_WORKERS": "two"}, "NEWSWATCH_CPU_WORKERS='two': give a whole number"),
    ({"NEWSWATCH_SMTP_SECURITY": "tls"}, "NEWSWATCH_SMTP_SECURITY='tls': write 'starttls', 'ssl' or 'none'"),
    ({"NEWSWATCH_WEB_PORT": "70000"}, "NEWSWATCH_WEB_PORT='70000'"),
    ({"NEWSWATCH_WEB_URL": "nw.city.example"}, "NEWSWATCH_WEB_URL='nw.city.example': give the public address"),
    ({"NEWSWATCH_LOG_FORMAT": "xml"}, "NEWSWATCH_LOG_FORMAT='xml': write 'text' or 'json'"),
    ({"NEWSWATCH_SCHEDULE_SEND_EVERY": "3"}, "NEWSWATCH_SCHEDULE_SEND_EVERY='3': write a positive interval"),
    ({"NEWSWATCH_SCHEDULE_WINDOW": "6-23"}, "NEWSWATCH_SCHEDULE_WINDOW='6-23': write a time range 'HH:MM-HH:MM'"),
    ({"NEWSWATCH_SCHEDULE_CRAWL_ARGS": "-s 'A=1"}, "NEWSWATCH_SCHEDULE_CRAWL_ARGS"),
    ({"NEWSWATCH_SCHEDULE_TIME_SCALE": "5"}, "NEWSWATCH_SCHEDULE_TIME_ANCHOR"),
])
def test_a_bad_value_is_one_line_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    assert named in str(info.value) and "\n" not in str(info.value)


def test_a_bad_secret_is_named_but_never_shown() -> None:
    with pytest.raises(ConfigError, match=r"NEWSWATCH_SECRET='\*\*\*\*': too short") as info:
        load_settings({"NEWSWATCH_SECRET": "tiny-pw"})
    assert "tiny-pw" not in str(info.value)


def test_one_instance_per_process_until_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    first = settings()
    assert settings() is first
    monkeypatch.setenv("NEWSWATCH_RELEASE_WINDOW_DAYS", "3")  # the test fixture resets on every change
    assert settings() is not first and settings().release_window_days == 3


def test_scrapy_settings_come_from_the_object(tmp_path: Path) -> None:
    probe = ("from crawler.crawl.runner import project_settings; s = project_settings(); "
             "print(s.getint('NEWSWATCH_MAX_LIST_PAGES'), s.get('NEWSWATCH_PROGRESS'), s.get('USER_AGENT'))")
    env = cli_env(tmp_path, NEWSWATCH_MAX_LIST_PAGES="3", NEWSWATCH_PROGRESS="never",
                  NEWSWATCH_CONTACT="ops@city.example")
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=True)
    pages, progress, agent = done.stdout.split(maxsplit=2)
    assert (pages, progress) == ("3", "never") and "ops@city.example" in agent
    assert set(load_settings({}).scrapy_settings()) >= {"NEWSWATCH_MAX_LIST_PAGES", "NEWSWATCH_RETRY_BACKOFF_BASE",
                                                         "NEWSWATCH_ROBOTS_MAX_AGE_HOURS"}


# --- `newswatch config` through the real CLI ------------------------------------------------------

SECRETS = {"NEWSWATCH_SMTP_PASSWORD": "hunter2-smtp-pw", "NEWSWATCH_SECRET": "feedback-signing-secret-1",
           "SENTRY_DSN": "https://publickey99@sentry.city.example/7",
           "NEWSWATCH_DB_URL": "postgresql+psycopg://newswatch:db-pw-77@127.0.0.1:5432/newswatch"}


def test_newswatch_config_json_shows_every_setting_with_its_source_and_masks_secrets(tmp_path: Path) -> None:
    env = cli_env(tmp_path, **SECRETS, NEWSWATCH_SCHEDULE_TICK="5m", NEWSWATCH_SMTP_HOST="smtp.city.example")
    done = newswatch("config", "--json", env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    for secret in ("hunter2-smtp-pw", "feedback-signing-secret-1", "publickey99", "db-pw-77"):
        assert secret not in done.stdout
    entries = {e["name"]: e for e in json.loads(done.stdout)}
    assert set(entries) == {config.env_name(n) for n in Settings.model_fields}
    assert entries["NEWSWATCH_SMTP_PASSWORD"]["value"] == "****" and entries["SENTRY_DSN"]["value"] == "****"
    assert entries["NEWSWATCH_SECRET"]["value"] == "****" and entries["NEWSWATCH_SECRET"]["secret"] is True
    assert entries["NEWSWATCH_DB_URL"]["value"] == "postgresql+psycopg://newswatch:****@127.0.0.1:5432/newswatch"
    assert entries["NEWSWATCH_SCHEDULE_TICK"] | {"description": ""} == {
        "name": "NEWSWATCH_SCHEDULE_TICK", "value": "5m", "source": "environment", "description": "",
        "section": "schedule", "secret": False}
    assert (entries["NEWSWATCH_SCHEDULE_SEND_EVERY"]["value"], entries["NEWSWATCH_SCHEDULE_SEND_EVERY"]["source"]) == (
        "3m", "default")
    assert entries["NEWSWATCH_HOME"]["value"] == str(tmp_path.resolve())
    assert entries["NEWSWATCH_SMTP_PORT"]["value"] == 587 and entries["NEWSWATCH_SCHEDULE_WINDOW"]["value"] == "06:00-23:00"


def test_newswatch_config_text_masks_and_a_bad_value_stops_it(tmp_path: Path) -> None:
    done = newswatch("config", env=cli_env(tmp_path, **SECRETS), timeout=120)
    assert done.returncode == 0 and "hunter2" not in done.stdout and "publickey99" not in done.stdout
    line = next(x for x in done.stdout.splitlines() if x.startswith("NEWSWATCH_SMTP_PASSWORD "))
    assert line.split() == ["NEWSWATCH_SMTP_PASSWORD", "****", "(environment)"]
    bad = newswatch("config", env=cli_env(tmp_path, NEWSWATCH_WEB_PORT="web"), timeout=120)
    assert bad.returncode == 2 and bad.stderr == "newswatch: NEWSWATCH_WEB_PORT='web': give a whole number, e.g. 8650\n"


# --- the generated docs ---------------------------------------------------------------------------


def test_the_readme_table_is_the_generated_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert config.readme_with_table(readme) == readme, "README's configuration table is stale: run `make docs`"
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    assert all(f"`{config.env_name(n)}`" in section for n in Settings.model_fields)


def test_the_env_template_is_the_generated_one() -> None:
    template = (ROOT / "deploy" / "newswatch.env.example").read_text(encoding="utf-8")
    assert template == config.env_example(), "deploy/newswatch.env.example is stale: run `make docs`"


def test_the_env_template_loads_when_every_line_is_uncommented() -> None:
    """Every example value in the template is one the settings accept."""
    lines = (ROOT / "deploy" / "newswatch.env.example").read_text(encoding="utf-8").splitlines()
    env = dict(line[1:].split("=", 1) for line in lines if line.startswith("#") and "=" in line.split()[0])
    assert len(env) == len(Settings.model_fields)
    load_settings({k: v for k, v in env.items() if v})


# --- the shared value types -----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("30s", timedelta(seconds=30)), ("5m", timedelta(minutes=5)), ("2 h", timedelta(hours=2)),
    ("1d", timedelta(days=1)), ("52w", timedelta(days=364)), ("1y", timedelta(days=365)),
])
def test_one_duration_grammar(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["0m", "5", "five minutes", "-1m", "1.5h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="interval such as '30m'"):
        parse_duration(text)


def test_a_window_may_wrap_midnight() -> None:
    night = ClockWindow.parse("22:00-07:00")
    assert night.contains(time(23)) and night.contains(time(6, 59)) and not night.contains(time(7))
    assert str(night) == "22:00-07:00" and str(ClockWindow.parse("06:00-24:00")) == "06:00-24:00"
    for bad in ("22:00", "22:00-22:00", "25:00-07:00", "7-9"):
        with pytest.raises(ValueError):
            ClockWindow.parse(bad)


@pytest.mark.parametrize(("expr", "error"), [
    ("61 * * * *", r"\(61\) is higher than the maximum value \(59\)"), ("0 24 * * *", "maximum value"),
    ("*/30 6-23 * * 1-5", "name weekdays"), ("0 7 * *", "5 fields"),
])
def test_cron_is_checked_by_apscheduler(expr: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        check_cron(expr)
    assert check_cron("*/10 6-23 * * mon-fri") == "*/10 6-23 * * mon-fri"


def test_the_compressed_clock_setting() -> None:
    anchor = datetime(2026, 12, 7, 5, tzinfo=UTC)
    s = load_settings({"NEWSWATCH_SCHEDULE_TIME_SCALE": "5", "NEWSWATCH_SCHEDULE_TIME_ANCHOR": anchor.isoformat()})
    assert (s.schedule_time_scale, s.schedule_time_anchor) == (5.0, anchor)


def test_the_process_environment_is_read_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWATCH_SCHEDULE_WINDOW", "")  # empty: all day, as before
    monkeypatch.setenv("NEWSWATCH_SCHEDULE_TICK", "  ")  # blank: the default
    monkeypatch.setenv("SENTRY_DSN", "https://key@sentry.city.example/3")
    monkeypatch.setenv("NEWSWATCH_SUBJECT_PREFIX", "[시험] ")
    s = settings()
    assert s.schedule_window is None and s.schedule_tick is None and s.subject_prefix == "[시험] "
    assert s.sentry_dsn.get_secret_value() == "https://key@sentry.city.example/3" and s.source("sentry_dsn") == "environment"
