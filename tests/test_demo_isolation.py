"""`newswatch demo` on a configured host: it must not touch the real store, mail server or people."""

from __future__ import annotations

import email
import os
import subprocess
import sys
from email.policy import default
from pathlib import Path

import pytest

from crawler.demo import DEMO_RECIPIENT, demo_environment, isolate, reset
from tests.support.env import ROOT, free_port

DEMO_OUTLETS = 5


def free_port_run(n: int = DEMO_OUTLETS) -> int:
    """A port base with `n` consecutive free ports (the demo sites listen on base..base+n-1)."""
    import random
    import socket

    for _ in range(200):
        base = random.randint(20_000, 60_000)
        socks = []
        try:
            for port in range(base, base + n):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError(f"no run of {n} free ports found")


def test_isolate_forgets_every_real_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = {"NEWSWATCH_DB_URL": "postgresql://real/db", "NEWSWATCH_SMTP_HOST": "smtp.city.example",
            "NEWSWATCH_SMTP_PASSWORD": "secret", "NEWSWATCH_RECIPIENTS_FILE": "/etc/newswatch/recipients.toml",
            "NEWSWATCH_OUTLETS_FILE": "/etc/newswatch/outlets.toml", "NEWSWATCH_WEB_URL": "https://watch.example",
            "NEWSWATCH_REDIS_URL": "redis://real:6379/0"}
    for k, v in real.items():
        monkeypatch.setenv(k, v)
    home = tmp_path / "demo"
    isolate(home)
    for k in real:
        assert os.environ.get(k) in (None, demo_environment(home).get(k)), k
    assert os.environ["NEWSWATCH_HOME"] == str(home)
    assert os.environ["NEWSWATCH_SUBJECT_PREFIX"] == "[데모] "


def test_fresh_removes_only_what_the_demo_wrote(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    (home / "outbox").mkdir(parents=True)
    written = ["newswatch.db", "newswatch.db-wal", "anchor.txt", "outlets.toml", "recipients.toml", "demo.env"]
    for name in written:
        (home / name).write_text("x")
    (home / "outbox" / "a.eml").write_text("x")
    (home / "notes.txt").write_text("the operator's own file")
    (home / "outbox" / "keep.txt").write_text("not a demo mail")
    removed = {p.name for p in reset(home)}
    assert removed == {*written, "a.eml"}
    assert (home / "notes.txt").exists() and (home / "outbox" / "keep.txt").exists()


def test_demo_on_a_configured_host_stays_in_its_own_home(tmp_path: Path) -> None:
    """A real store URL, SMTP server and recipients are set; the demo uses none of them."""
    real_db = tmp_path / "real.db"
    demo_home = tmp_path / "demo"
    env = {**os.environ, "NEWSWATCH_HOME": str(tmp_path / "real-home"),
           "NEWSWATCH_DB_URL": f"sqlite:///{real_db}",
           "NEWSWATCH_SMTP_HOST": "127.0.0.1", "NEWSWATCH_SMTP_PORT": str(free_port()),  # nothing listens
           "NEWSWATCH_RECIPIENTS_FILE": str(tmp_path / "real-recipients.toml"),
           "NEWSWATCH_LOG_LEVEL": "ERROR"}
    (tmp_path / "real-recipients.toml").write_text('[[recipient]]\naddress = "mayor@city.example"\n'
                                                    'watchlists = ["medical-tourism"]\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "demo", "--home", str(demo_home),
                           "--port-base", str(free_port_run())],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    first = done.stdout.splitlines()[0]
    assert str(demo_home) in first and "NEWSWATCH_DB_URL" in first and "SMTP" in first
    assert not real_db.exists()
    assert not (tmp_path / "real-home").exists()
    assert (demo_home / "newswatch.db").exists()
    mails = sorted((demo_home / "outbox").glob("*.eml"))
    assert mails, done.stdout[-2000:]
    msg = email.message_from_bytes(mails[0].read_bytes(), policy=default)
    assert msg["Subject"].startswith("[데모] ")
    assert msg["To"].addresses[0].addr_spec == DEMO_RECIPIENT
    assert "mayor@city.example" not in done.stdout
    # the hint works: the demo's own status, with the demo outlets
    hint = dict(line.split("=", 1) for line in (demo_home / "demo.env").read_text().split())
    status = subprocess.run([sys.executable, "-m", "crawler.cli", "status"], env={**os.environ, **hint},
                            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert "incheonnuri" in status.stdout and "removed" not in status.stdout, status.stdout + status.stderr
