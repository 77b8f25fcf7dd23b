"""The press-release echo end to end on the bundled demo sites: the demo office's release
(crawler/demosites/data/release_seogu.txt) registered by the command, a crawl, the report."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from crawler.demo import DEMO_RELEASE, DEMO_RELEASE_AGE_HOURS
from tests.support.cli import FAST, cli_env, newswatch
from tests.support.sites import StartSites


def test_the_demo_release_is_traced_in_three_outlets(sites: StartSites, tmp_path: Path, home: Path) -> None:
    server = sites()
    env = cli_env(home, server.registry)
    released = (server.anchor - timedelta(hours=DEMO_RELEASE_AGE_HOURS)).isoformat()
    added = newswatch("releases", "add", str(DEMO_RELEASE), "--date", released, env=env)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("release #1 added")
    again = newswatch("releases", "add", str(DEMO_RELEASE), env=env)
    assert "already registered as release #1" in again.stdout

    crawl = newswatch("crawl", "--all", "--seed", *FAST, env=env)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    shown = newswatch("releases", "report", env=env)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert "3 article(s) in 3 outlet(s); verbatim 1, trimmed 1, rewritten 1" in lines[0]
    kinds = {line.split()[0]: line.split(" h  ")[1].split()[0] for line in lines[1:]}
    assert kinds == {"busanmaru": "verbatim", "incheonnuri": "trimmed", "ydpharu": "rewritten"}
    # in the order the outlets carried it, whatever order the crawl found them in
    assert list(kinds) == ["busanmaru", "incheonnuri", "ydpharu"]
    assert "+   2.0 h" in shown.stdout  # busanmaru: 20 h old, released 22 h before the anchor


def test_a_refused_release_exits_1_with_the_reason(tmp_path: Path, home: Path) -> None:
    scan = tmp_path / "보도자료.hwp"
    scan.write_bytes(b"HWP Document File")
    out = newswatch("releases", "add", str(scan), env=cli_env(home))
    assert out.returncode == 1
    assert "HWP attachment, which is not supported" in out.stderr
