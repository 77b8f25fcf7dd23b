"""Logs: a rotated file under NEWSWATCH_HOME/logs/ when asked, one line per event naming the outlet."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from crawler.logs import add_file_handler
from tests.support.cli import FAST, cli_env, newswatch
from tests.support.sites import StartSites


def test_no_log_file_unless_asked(home: Path, tmp_path: Path) -> None:
    result = newswatch("outlets", env=cli_env(home))
    assert result.returncode == 0
    assert not (home / "logs").exists()


def test_crawl_logs_to_the_rotated_file_with_the_outlet(sites: StartSites, home: Path, tmp_path: Path) -> None:
    server = sites(faults={"busanmaru": "500"})
    result = newswatch("crawl", "busanmaru", "ydpharu", "-q", *FAST,
                       env=cli_env(home, server.registry, NEWSWATCH_LOG_FILE="1"))
    assert result.returncode == 1
    log = (home / "logs" / "newswatch.log").read_text(encoding="utf-8")
    lines = [line for line in log.splitlines() if "outlet busanmaru:" in line]
    assert lines and all(" [crawl] " in line for line in lines)
    assert any(" ERROR " in line for line in lines)


def test_a_quiet_crawl_prints_nothing_when_all_is_well(sites: StartSites, home: Path, tmp_path: Path) -> None:
    """Under cron, output means mail: `crawl -q` on healthy outlets must print nothing at all."""
    server = sites()
    result = newswatch("crawl", "ydpharu", "-q", *FAST, env=cli_env(home, server.registry))
    assert result.returncode == 0
    assert result.stdout == "" and result.stderr == "", result.stderr[-2000:]


def test_json_lines_log_for_shippers(sites: StartSites, home: Path, tmp_path: Path) -> None:
    server = sites(faults={"busanmaru": "500"})
    result = newswatch("crawl", "busanmaru", "-q", *FAST,
                       env=cli_env(home, server.registry, NEWSWATCH_LOG_FILE="1",
                                   NEWSWATCH_LOG_FORMAT="json"))
    assert result.returncode == 1
    records = [json.loads(line) for line in
               (home / "logs" / "newswatch.log").read_text(encoding="utf-8").splitlines()]
    errors = [r for r in records if r["level"] == "ERROR" and "outlet busanmaru:" in r["message"]]
    assert errors and all(r["component"] == "crawl" for r in errors)
    assert all(r["time"].endswith("+00:00") for r in records)


def test_a_bad_log_format_is_refused_with_the_fix(home: Path) -> None:
    result = newswatch("outlets", env=cli_env(home, NEWSWATCH_LOG_FILE="1", NEWSWATCH_LOG_FORMAT="xml"))
    assert result.returncode == 2
    assert "NEWSWATCH_LOG_FORMAT='xml': write 'text' or 'json'" in result.stderr


def test_logging_goes_on_in_a_new_file_after_logrotate_moves_it(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several processes share the file and none rotates it: each follows logrotate's move."""
    monkeypatch.setenv("NEWSWATCH_LOG_FILE", "1")
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        path = add_file_handler("send")
        assert path is not None
        logging.getLogger("crawler.test").warning("before rotation")
        path.rename(path.with_suffix(".log.1"))
        logging.getLogger("crawler.test").warning("after rotation")
    finally:
        for handler in set(root.handlers) - set(before):
            root.removeHandler(handler)
            handler.close()
    assert "before rotation" in path.with_suffix(".log.1").read_text(encoding="utf-8")
    assert "after rotation" in path.read_text(encoding="utf-8")
    assert "before rotation" not in path.read_text(encoding="utf-8")
