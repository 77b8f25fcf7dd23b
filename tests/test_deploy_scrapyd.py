"""The scrapyd deployment: the egg `scrapyd-deploy` builds, loaded the way scrapyd loads it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

from tests.support.env import ROOT

SOURCES = ("crawler", "spiders", "pipelines", "settings", "pyproject.toml", "README.md", "scrapy.cfg", "setup.py")

# What scrapyd.runner does (activate_egg, then scrapy's command line), without pkg_resources,
# which scrapyd still imports but setuptools ≥ 81 no longer ships: the egg goes first on
# sys.path, and the `scrapy` entry point names the settings module.
RUNNER = textwrap.dedent('''
    import configparser, os, sys, zipfile
    egg = sys.argv[1]
    entry = configparser.ConfigParser()
    entry.read_string(zipfile.ZipFile(egg).read("EGG-INFO/entry_points.txt").decode())
    os.environ["SCRAPY_SETTINGS_MODULE"] = entry["scrapy"]["settings"]
    sys.path.insert(0, egg)
    import crawler
    assert crawler.__file__.startswith(egg), crawler.__file__
    if sys.argv[2] == "store":
        from crawler import paths
        from crawler.match import load_watchlists
        from crawler.store import Database
        print(sorted(load_watchlists(paths.watchlists_dir())))
        Database.open().close()
        print("store ok")
    else:
        from scrapy.cmdline import execute
        sys.argv = ["scrapy", *sys.argv[2:]]
        execute()
''')


def _build_egg(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    for step in (["clean", "-a"], ["bdist_egg", "-d", str(tmp_path / "eggs")]):
        done = subprocess.run([sys.executable, "setup.py", *step], cwd=src, capture_output=True,
                              text=True, timeout=180, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
    (egg,) = (tmp_path / "eggs").glob("*.egg")
    return egg


def _run(egg: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "NEWSWATCH_HOME": str(home), "HOME": str(home)}
    return subprocess.run([sys.executable, "-c", RUNNER, str(egg), *args], cwd=home, env=env,
                          capture_output=True, text=True, timeout=180, check=False)


def test_the_egg_runs_under_scrapyd(tmp_path: Path) -> None:
    egg = _build_egg(tmp_path)
    names = set(zipfile.ZipFile(egg).namelist())
    assert {"spiders/outlets.toml", "settings/watchlists/medical-tourism.toml",
            "crawler/store/migrations/script.py.mako"} <= names
    home = tmp_path / "home"
    home.mkdir()

    listed = _run(egg, home, "list")
    assert listed.returncode == 0, listed.stderr[-3000:]
    registry = (ROOT / "spiders" / "outlets.toml").read_text(encoding="utf-8")
    outlets = listed.stdout.split()
    assert len(outlets) > 100 and all(f'id = "{o}"' in registry for o in outlets)

    stored = _run(egg, home, "store")
    assert stored.returncode == 0, stored.stderr[-3000:]
    assert "'medical-tourism'" in stored.stdout and "store ok" in stored.stdout
    assert (home / "newswatch.db").exists()
