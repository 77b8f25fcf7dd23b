"""Logs: a rotated file under NEWSWATCH_HOME/logs/ when asked, one line per event naming the outlet."""

from __future__ import annotations

from pathlib import Path

from crawler.sites import SiteServer
from crawler.sites.registry import write_registry
from tests.helpers import FAST, cli_env, newswatch


def test_no_log_file_unless_asked(home: Path, tmp_path: Path) -> None:
    result = newswatch("outlets", env=cli_env(home))
    assert result.returncode == 0
    assert not (home / "logs").exists()


def test_crawl_logs_to_the_rotated_file_with_the_outlet(home: Path, tmp_path: Path) -> None:
    with SiteServer(faults={"busanmaru": "500"}) as server:
        write_registry(tmp_path / "outlets.toml", server.outlets, server.urls)
        result = newswatch("crawl", "busanmaru", "ydpharu", "-q", *FAST,
                           env=cli_env(home, tmp_path / "outlets.toml", NEWSWATCH_LOG_FILE="1"))
    assert result.returncode == 1
    log = (home / "logs" / "newswatch.log").read_text(encoding="utf-8")
    lines = [line for line in log.splitlines() if "outlet busanmaru:" in line]
    assert lines and all(" [crawl] " in line for line in lines)
    assert any(" ERROR " in line for line in lines)


def test_a_quiet_crawl_prints_nothing_when_all_is_well(home: Path, tmp_path: Path) -> None:
    """Under cron, output means mail: `crawl -q` on healthy outlets must print nothing at all."""
    with SiteServer() as server:
        write_registry(tmp_path / "outlets.toml", server.outlets, server.urls)
        result = newswatch("crawl", "ydpharu", "-q", *FAST, env=cli_env(home, tmp_path / "outlets.toml"))
    assert result.returncode == 0
    assert result.stdout == "" and result.stderr == "", result.stderr[-2000:]
