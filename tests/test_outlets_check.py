"""`newswatch outlets check`: probes against local sites that work and sites that are broken."""

from __future__ import annotations

import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.crawl.check import CheckResult, check_outlet, mark_verified, write_verified
from crawler.registry import load_registry
from tests.support.cli import cli_env
from tests.support.env import ROOT
from tests.support.sites import DemoSites, StartSites, demo_sites

FAULTS = {"ydpharu": "500", "dalgubeol": "notfound-feed", "busanmaru": "skinchange"}

Checked = tuple[DemoSites, Path, dict[str, CheckResult]]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checked]:
    """Every outlet of the faulty demo sites (and a closed port) checked once for the module."""
    with demo_sites(tmp_path_factory.mktemp("check")) as sites:
        server = sites(faults=FAULTS)
        registry = server.registry
        port = _closed_port()
        registry.write_text(
            "# the probed outlets; this comment must survive --write\n"
            + registry.read_text(encoding="utf-8")
            + f'\n[[outlet]]\nid = "gone"\nname = "닫힌 신문"\nregion = "세종"\nhome = "http://127.0.0.1:{port}/"\n'
            + 'family = "ndsoft"\nverified = false  # closed port\n',
            encoding="utf-8",
        )
        outlets = load_registry(registry).by_id()
        results = {oid: check_outlet(o) for oid, o in outlets.items()}
        yield server, registry, results


def test_working_outlets(checked: Checked) -> None:
    _, _, results = checked
    for oid in ("incheonnuri", "hanbitmedi"):
        r: CheckResult = results[oid]
        assert r.works and r.robots.ok and r.feed.ok and r.list_page.ok and r.article.ok, r
        assert not r.fixes


def test_server_error_is_not_working_and_says_why(checked: Checked) -> None:
    r = checked[2]["ydpharu"]
    assert not r.works and r.robots.ok is False and "500" in " ".join(r.fixes)


def test_missing_feed_works_through_the_list_and_says_fix_feeds(checked: Checked) -> None:
    r = checked[2]["dalgubeol"]
    assert r.works and r.feed.ok is False and r.list_page.ok and r.article.ok
    assert any("fix `feeds`" in f and "404" in f for f in r.fixes)


def test_skin_change_is_extracted_by_generic_and_reported(checked: Checked) -> None:
    r = checked[2]["busanmaru"]
    assert r.article.ok and "fell back to generic" in r.article.detail
    assert any("check `family`" in f for f in r.fixes)


def test_closed_port(checked: Checked) -> None:
    r = checked[2]["gone"]
    assert not r.works and r.robots.ok is False and "unreachable" in r.robots.detail
    assert r.feed.ok is None and r.article.ok is None


def test_write_marks_only_working_entries_and_keeps_comments(checked: Checked, tmp_path: Path) -> None:
    _, registry, results = checked
    copy = tmp_path / "outlets.toml"
    copy.write_text(registry.read_text(encoding="utf-8"), encoding="utf-8")
    written = write_verified(copy, results.values())
    assert set(written) == {"incheonnuri", "hanbitmedi", "dalgubeol", "busanmaru"}
    text = copy.read_text(encoding="utf-8")
    assert text.startswith("# the probed outlets; this comment must survive --write\n")
    assert 'verified = false  # closed port' in text
    data = {o["id"]: o for o in tomllib.loads(text)["outlet"]}
    assert data["incheonnuri"]["verified"] is True and data["gone"]["verified"] is False
    assert data["ydpharu"].get("verified", False) is False
    assert [o["id"] for o in tomllib.loads(text)["outlet"]] == [o["id"] for o in tomllib.loads(registry.read_text())["outlet"]]


def test_write_adds_discovered_feeds_and_sitemaps_next_to_family() -> None:
    text = ('[[outlet]]\nid = "a"\nname = "A"\nregion = "서울"\nhome = "https://a.example/"\nfamily = "generic"\n'
            'every = "30m"\nverified = false\n\n[[outlet]]\nid = "ab"\nname = "AB"\nregion = "서울"\n'
            'home = "https://ab.example/"\nverified = false\n')
    result = CheckResult("a", found_feeds=["https://a.example/rss.xml"], found_sitemaps=["https://a.example/s.xml"])
    out = mark_verified(text, result)
    data = tomllib.loads(out)["outlet"]
    assert data[0]["verified"] is True and data[0]["feeds"] == ["https://a.example/rss.xml"]
    assert data[0]["sitemaps"] == ["https://a.example/s.xml"]
    assert data[1]["verified"] is False and "feeds" not in data[1]
    assert out.index("feeds =") == out.index('family = "generic"') + len('family = "generic"\n')


def test_command_prints_the_table_and_exits_nonzero_when_something_is_broken(checked: Checked, home: Path) -> None:
    _, registry, _ = checked
    env = cli_env(home, registry)
    ok = subprocess.run([sys.executable, "-m", "crawler.crawl.check", "incheonnuri"], env=env, cwd=ROOT,
                        capture_output=True, text=True, timeout=60, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "incheonnuri" in ok.stdout and "yes" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "crawler.crawl.check", "ydpharu", "nosuch"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and "nosuch" in bad.stderr


def test_redirect_loop_on_articles_is_reported(sites: StartSites) -> None:
    server = sites(faults={"incheonnuri": "redirect-loop"})
    r = check_outlet(load_registry(server.registry).by_id()["incheonnuri"])
    assert not r.works and r.feed.ok and r.article.ok is False and "redirect loop" in r.article.detail
