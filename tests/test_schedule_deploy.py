"""deploy/: the systemd units verify, the compose file is consistent, and the crontab lines work
as written (flock included) against the demo sites. The env template: tests/test_config.py.
"""

from __future__ import annotations

import configparser
import fcntl
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import cli_env, entry_point
from tests.support.env import ROOT, need_tool, require
from tests.support.sites import StartSites

DEPLOY = ROOT / "deploy"
UNITS = ["newswatch-scheduler.service", "newswatch-worker@.service"]


def _unit(name: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    cp.read(DEPLOY / name, encoding="utf-8")
    return cp


@pytest.mark.parametrize("name", UNITS)
def test_units_run_newswatch_commands_that_exist(name: str) -> None:
    service = _unit(name)["Service"]
    exe, *args = service["ExecStart"].split()
    assert exe == "/opt/newswatch/.venv/bin/newswatch" and service["WorkingDirectory"] == "/opt/newswatch"
    assert int(service["TimeoutStopSec"]) <= 60 and service["KillSignal"] == "SIGTERM"
    from crawler.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert args[0] in commands, f"`newswatch {args[0]}` does not exist"


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = need_tool("systemd-analyze")
    for name in UNITS:  # the paths of a checkout instead of /opt/newswatch
        text = (DEPLOY / name).read_text().replace("/opt/newswatch", str(ROOT))
        text = text.replace("/etc/newswatch/newswatch.env", str(DEPLOY / "newswatch.env.example"))
        (tmp_path / name).write_text(text)
    done = subprocess.run([analyze, "verify", *(str(tmp_path / n) for n in UNITS)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def test_compose_file_is_consistent(tmp_path: Path) -> None:
    python = need_tool("python3")  # the system's, with PyYAML (the venv has none)
    probe = subprocess.run([python, "-c", "import yaml"], capture_output=True, check=False)
    require(probe.returncode == 0, f"{python} has no PyYAML", "install python3-yaml")
    dump = subprocess.run([python, "-c", "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
                           str(DEPLOY / "compose.yaml")], capture_output=True, text=True, check=True)
    compose = json.loads(dump.stdout)
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "scheduler", "worker"}
    for name in ("scheduler", "worker"):
        svc = services[name]
        assert (DEPLOY / svc["build"]["context"] / svc["build"]["dockerfile"]).exists()
        assert set(svc["depends_on"]) <= set(services)
        assert svc["stop_grace_period"] == "60s"
        assert svc["environment"]["NEWSWATCH_DB_URL"].startswith("postgresql+psycopg://newswatch:newswatch@postgres:5432/newswatch")
    assert services["scheduler"]["command"] == ["schedule"]
    pg = services["postgres"]["environment"]
    assert (pg["POSTGRES_USER"], pg["POSTGRES_DB"]) == ("newswatch", "newswatch")
    assert set(compose["volumes"]) >= {v.split(":")[0] for s in services.values() for v in s.get("volumes", [])}


def test_containerfile_copies_what_exists() -> None:
    text = (DEPLOY / "Containerfile").read_text()
    for line in text.splitlines():
        if line.startswith("COPY "):
            for src in line.split()[1:-1]:
                assert (ROOT / src).exists(), src
    assert (DEPLOY / "Dockerfile").resolve() == (DEPLOY / "Containerfile").resolve()


def _cron_lines() -> list[str]:
    lines = []
    for line in (DEPLOY / "crontab").read_text().splitlines():
        if line.strip() and not line.startswith("#") and not re.match(r"^[A-Z_]+=", line):
            lines.append(line.split(None, 5)[5])
    return lines


def test_crontab_lines_work_as_written(sites: StartSites, tmp_path: Path, home: Path) -> None:
    server = sites()
    lines = _cron_lines()
    assert len(lines) == 3 and "newswatch crawl -q" in lines[0] and "newswatch send" in lines[1]
    assert "newswatch health --notify" in lines[2]  # the health notices run on cron too
    # an install root outside the checkout (the lines write its var/), whose .venv/bin/newswatch is
    # the entry point of the interpreter running the tests
    root = tmp_path / "opt-newswatch"
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "newswatch").symlink_to(entry_point())
    env = cli_env(home, server.registry, NEWSWATCH_ROOT=str(root), PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin")
    for line in lines:  # what cron runs: /bin/sh -c with the crontab's variables
        done = subprocess.run(["/bin/sh", "-c", line], env=env, capture_output=True, text=True, timeout=180,
                              check=False)
        assert done.returncode == 0, (line, done.stdout[-2000:], done.stderr[-2000:])
    # a tick still running: the next one skips at once instead of stacking
    with open(root / "var" / "crawl.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        done = subprocess.run(["/bin/sh", "-c", lines[0]], env=env, capture_output=True, timeout=30, check=False)
        assert done.returncode == 1
    assert (root / "var" / "send.last").is_file(), "the lines keep their files under NEWSWATCH_ROOT"
