"""Bad input during a crawl: one broken outlet never stops the others; configuration and store
problems stop the run before anything is fetched, with the fix in the message."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from crawler.store.models import Article, OutletRun
from tests.support.cli import FAST, cli_env, newswatch
from tests.support.sites import DemoSites, StartSites, log_length


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stored(home: Path) -> dict[str, list[Article]]:
    engine = create_engine(f"sqlite:///{home / 'newswatch.db'}")
    with Session(engine) as s:
        out: dict[str, list[Article]] = {}
        for a in s.scalars(select(Article)):
            out.setdefault(a.outlet_id, []).append(a)
    engine.dispose()
    return out


@pytest.fixture
def faulty(sites: StartSites) -> tuple[DemoSites, Path]:
    """Demo sites where one outlet answers 500, one has no dates, one has articles without a body."""
    server = sites(faults={"busanmaru": "500", "dalgubeol": "nodate", "ydpharu": "nobody"})
    registry = server.registry
    # plus an outlet nobody answers for
    registry.write_text(registry.read_text(encoding="utf-8") + f"""
[[outlet]]
id = "gone"
name = "사라진신문"
region = "제주"
home = "http://127.0.0.1:{_closed_port()}/"
family = "ndsoft"
""", encoding="utf-8")
    return server, registry


def test_broken_outlets_do_not_stop_the_others(faulty, home: Path) -> None:
    server, registry = faulty
    result = newswatch("crawl", "--all", *FAST, env=cli_env(home, registry))
    assert result.returncode == 1, "a failed outlet makes the exit status non-zero (cron mails it)"
    assert "outlet gone:" in result.stderr and "outlet busanmaru:" in result.stderr
    stored = _stored(home)
    healthy = {"incheonnuri", "hanbitmedi"}
    for outlet in healthy:
        expected = [a for a in server.articles if a.outlet == outlet and not a.robots_blocked]
        assert len(stored.get(outlet, [])) == len(expected)
    assert "busanmaru" not in stored and "gone" not in stored
    # no date on the page: the feed's date is used
    assert stored["dalgubeol"] and all(a.published_at is not None for a in stored["dalgubeol"])
    # empty bodies are dropped with a reason, never stored
    assert "ydpharu" not in stored
    assert "no_body" in result.stdout or "no body" in result.stdout + result.stderr
    engine = create_engine(f"sqlite:///{home / 'newswatch.db'}")
    with Session(engine) as s:
        runs = {r.outlet_id: r for r in s.scalars(select(OutletRun))}
    engine.dispose()
    assert runs["gone"].errors >= 1 and runs["busanmaru"].errors >= 1 and runs["incheonnuri"].errors == 0
    assert runs["ydpharu"].stats.get("dropped/no_body", 0) >= 1


def test_failed_outlet_keeps_its_validators_unsaved(faulty, home: Path) -> None:
    """An outlet whose articles failed gets its feed again next time: nothing is lost behind a 304."""
    server, registry = faulty
    env = cli_env(home, registry)
    newswatch("crawl", "--all", *FAST, env=env)
    log = Path(server.log_path)
    before = log_length(log)
    newswatch("crawl", "busanmaru", *FAST, env=env)
    import json

    statuses = [json.loads(line)["status"] for line in log.read_text().splitlines()[before:]]
    assert 304 not in statuses


def test_database_down_stops_before_any_fetch(sites: StartSites, tmp_path: Path, home: Path) -> None:
    server = sites()
    env = cli_env(home, server.registry,
                  NEWSWATCH_DB_URL=f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/x")
    result = newswatch("crawl", "--all", *FAST, env=env)
    assert result.returncode == 2
    assert "not reachable" in result.stderr and "NEWSWATCH_DB_URL" in result.stderr
    assert log_length(server.log_path) == 0


def test_unwritable_home_stops_before_any_fetch(sites: StartSites, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    server = sites()
    result = newswatch("crawl", "--all", *FAST, env=cli_env(blocker / "home", server.registry))
    assert result.returncode == 2 and "NEWSWATCH_HOME" in result.stderr
    assert log_length(server.log_path) == 0


def test_malformed_registry_names_outlet_and_key(tmp_path: Path, home: Path) -> None:
    registry = tmp_path / "outlets.toml"
    registry.write_text('[[outlet]]\nid = "x"\nname = "x"\nregion = "서울"\nhome = "http://x/"\nfeed = []\n',
                        encoding="utf-8")
    result = newswatch("crawl", "--all", env=cli_env(home, registry))
    assert result.returncode == 2
    assert "outlet 'x'" in result.stderr and "'feed'" in result.stderr and "unknown key" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_outlet_name(tmp_path: Path, home: Path) -> None:
    result = newswatch("crawl", "nosuchpaper", env=cli_env(home))
    assert result.returncode == 2 and "nosuchpaper" in result.stderr and "newswatch outlets" in result.stderr
