"""Fault benchmark: crawls cut short on the scaled sites, then recovered as an operator would.

For each fault: serve `--scale 20:30` (600 articles; the issue's reproduction had 1,000), start
`newswatch crawl --all`, inject the fault when a seeded random share of the articles is stored (seed and point printed; fix the seed
with NEWSWATCH_FAULT_SEED), recover (`newswatch crawl`, then `crawl --all`), then drain the outbox
twice into a real SMTP server (aiosmtpd). Faults: kill9, sigterm (20:30); pgcut (10:40, PostgreSQL
cut for 4 s through a TCP proxy; skipped without PostgreSQL); smtp550 (10:40, every recipient
refused, then `send --retry-failed` twice).

`faults.<name>.lost`: articles served but not stored + stories matched without an alert +
story alerts never sent. `faults.<name>.duplicated`: duplicate alert rows + mails received twice
(same Message-ID). Target 0 and 0.

The harness is shared with the fault tests (tests/test_faults_*.py): real processes, real signals.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler import paths
from crawler.config import settings

# local sites: no politeness delay, fast retries; everything else as shipped
FAST = ["-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "AUTOTHROTTLE_MAX_DELAY=0.2",
        "-s", "NEWSWATCH_RETRY_BACKOFF_BASE=0.05", "-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=1"]
TARGETS: dict[str, str] = {}


@dataclass
class Sites:
    """`python -m crawler.demosites serve --scale …` in a subprocess, with its registry file."""

    outlets: int
    articles: int
    work: Path
    faults: list[str] = field(default_factory=list)
    proc: subprocess.Popen[str] | None = None
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def registry(self) -> Path:
        return self.work / "outlets.toml"

    @property
    def served(self) -> int:
        return self.outlets * self.articles

    def start(self) -> Sites:
        args = [sys.executable, "-m", "crawler.demosites", "serve", "--scale", f"{self.outlets}:{self.articles}",
                "--registry-out", str(self.registry), "--log", str(self.work / "sites.log")]
        for fault in self.faults:
            args += ["--fault", fault]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=paths.PROJECT_ROOT)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=10)
            raise RuntimeError("the site server did not start")
        self.urls = json.loads(line)["outlets"]
        return self

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                self.proc.wait(timeout=10)
            if self.proc.stdout is not None:
                self.proc.stdout.close()

    def __enter__(self) -> Sites:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def cli_env(home: Path, registry: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not (k.startswith("NEWSWATCH_") or k == "SENTRY_DSN")}
    env.update({"NEWSWATCH_HOME": str(home), "NEWSWATCH_OUTLETS_FILE": str(registry),
                "NEWSWATCH_CPU_WORKERS": "0", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def newswatch(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], env=env, cwd=paths.PROJECT_ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)


def crawl_args(*extra: str) -> list[str]:
    return ["crawl", "-q", *extra, *FAST]


def query(db: Path | str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of `sql` from a SQLite file or a database URL ([] while the schema is not there)."""
    if isinstance(db, str):
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import SQLAlchemyError

        engine = create_engine(db)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql))]
        except SQLAlchemyError:
            return []
        finally:
            engine.dispose()
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute(sql).fetchall()
    except sqlite3.OperationalError:  # the schema is not there yet
        return []
    finally:
        con.close()


class CutProxy:
    """A TCP proxy on 127.0.0.1 in front of a server (PostgreSQL): `cut()` resets every
    connection and refuses new ones until `restore()` — the database going away for real as far
    as the client can tell, without stopping a server other processes share."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        import socket
        import threading

        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._up = threading.Event()
        self._up.set()
        self._conns: list[Any] = []
        self._lock = threading.Lock()
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket
        import threading

        while not self._stop:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._up.is_set():
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                client.close()  # a reset: "connection refused" as the client sees it
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: Any, dst: Any) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.close()
                except OSError:
                    pass

    def cut(self) -> None:
        self._up.clear()
        with self._lock:
            conns, self._conns = self._conns, []
        import socket

        for sock in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the pipe threads blocked in recv()
                sock.close()
            except OSError:
                pass

    def restore(self) -> None:
        self._up.set()

    def close(self) -> None:
        self._stop = True
        self.cut()
        self._listener.close()


def stored_articles(db: Path | str) -> int:
    rows = query(db, "SELECT count(*) FROM articles")
    return int(rows[0][0]) if rows else 0


@dataclass(frozen=True)
class Tally:
    articles: int  # rows in `articles`
    alerted_stories: int  # stories with at least one story alert (followup 0)
    matched_stories: int  # stories with a relevant match
    duplicate_alerts: int  # story alerts beyond the first per (recipient, watchlist, story)

    def lost(self, served: int) -> int:
        return max(served - self.articles, 0) + max(self.matched_stories - self.alerted_stories, 0)


def tally(db: Path | str) -> Tally:
    articles = stored_articles(db)
    alerted = query(db, "SELECT count(DISTINCT story_id) FROM alerts WHERE followup = 0")
    matched = query(db, "SELECT count(DISTINCT a.story_id) FROM matches m JOIN articles a ON a.id = m.article_id "
                         "WHERE m.relevant AND a.story_id IS NOT NULL")
    dup = query(db, "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM alerts WHERE followup = 0 "
                     "GROUP BY recipient, watchlist_id, story_id)")
    return Tally(articles, int(alerted[0][0]) if alerted else 0, int(matched[0][0]) if matched else 0,
                 int(dup[0][0]) if dup else 0)


def interrupted_crawl(env: dict[str, str], db: Path | str, at_articles: int, sig: int | Callable[[], None],
                      *args: str, timeout: float = 90) -> int:
    """Start a crawl, send `sig` (or call it) once `at_articles` are stored; returns the crawl's exit code."""
    proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", *crawl_args(*args)], env=env,
                            cwd=paths.PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and stored_articles(db) < at_articles:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the crawl stored {stored_articles(db)} of {at_articles} in {timeout} s")
            time.sleep(0.05)
        if proc.poll() is None:
            if callable(sig):
                sig()
            else:
                proc.send_signal(sig)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode


FAULTS = {"kill9": signal.SIGKILL, "sigterm": signal.SIGTERM}
PG_URL = os.environ.get("NEWSWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


class _Smtp:
    """aiosmtpd on 127.0.0.1 that refuses every recipient (550) while `refuse` is set, and counts
    the Message-IDs it accepted."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.refuse = False
        self.message_ids: list[str] = []
        outer = self

        class Handler:
            async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                                  options: list[str]) -> str:
                if outer.refuse:
                    return "550 5.1.1 mailbox unavailable"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                from email import message_from_bytes

                msg = message_from_bytes(envelope.original_content or envelope.content)
                outer.message_ids.append(str(msg["Message-ID"]))
                return "250 OK queued"

        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, ready_timeout=10)
        self.controller.start()

    def env(self) -> dict[str, str]:
        return {"NEWSWATCH_SMTP_HOST": "127.0.0.1", "NEWSWATCH_SMTP_PORT": str(self.port),
                "NEWSWATCH_SMTP_SECURITY": "none", "NEWSWATCH_SMTP_FROM": "newswatch@city.example"}

    @property
    def duplicated(self) -> int:
        return len(self.message_ids) - len(set(self.message_ids))

    def stop(self) -> None:
        self.controller.stop()


def mail_outcome(db: Path | str) -> tuple[int, int]:
    """(story alerts not sent, alerts sent) after the drains."""
    unsent = query(db, "SELECT count(*) FROM alerts WHERE followup = 0 AND status <> 'sent'")
    sent = query(db, "SELECT count(*) FROM alerts WHERE status = 'sent'")
    return int(unsent[0][0]) if unsent else 0, int(sent[0][0]) if sent else 0


def run_smtp550(work: Path, seed: int, outlets: int = 10, articles: int = 40) -> dict[str, Any]:
    """Crawl cleanly; the server refuses every recipient with 550; fixed; `send --retry-failed`
    (twice, to show the second finds nothing). Lost = story alerts never sent."""
    home = work / "smtp550"
    home.mkdir(parents=True, exist_ok=True)
    smtp = _Smtp()
    try:
        with Sites(outlets, articles, home) as sites:
            env = cli_env(home, sites.registry, **smtp.env())
            db = home / "newswatch.db"
            newswatch(env, *crawl_args("--all"))
            smtp.refuse = True
            newswatch(env, "send", "--digest")
            failed = query(db, "SELECT count(*) FROM alerts WHERE status = 'failed'")[0][0]
            print(f"fault smtp550: seed {seed}, {failed} alerts refused with 550", flush=True)
            smtp.refuse = False
            newswatch(env, "send", "--digest", "--retry-failed")
            newswatch(env, "send", "--digest", "--retry-failed")
            unsent, sent = mail_outcome(db)
            t = tally(db)
        return {"lost": unsent, "duplicated": smtp.duplicated, "detail": f"{failed} refused, {sent} sent after "
                f"--retry-failed, {len(smtp.message_ids)} mails, stories matched {t.matched_stories}"}
    finally:
        smtp.stop()


def run_pgcut(work: Path, seed: int, outlets: int = 10, articles: int = 40) -> dict[str, Any] | None:
    """The database cut for 4 s at a random point (a TCP proxy in front of PostgreSQL), then the
    operator runs `crawl --all` again. None when no PostgreSQL listens on 127.0.0.1:5432."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    name = f"newswatch_faults_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError:
        admin.dispose()
        return None
    direct = make_url(PG_URL).set(database=name)
    proxy = CutProxy(direct.port or 5432)
    rng = random.Random(seed)
    home = work / "pgcut"
    home.mkdir(parents=True, exist_ok=True)
    try:
        url = direct.render_as_string(hide_password=False)
        via = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        with Sites(outlets, articles, home) as sites:
            env = cli_env(home, sites.registry, NEWSWATCH_DB_URL=via, NEWSWATCH_DB_TIMEOUT_S="3")
            at = int(sites.served * rng.uniform(0.2, 0.7))
            print(f"fault pgcut: seed {seed}, database cut for 4 s at {at} of {sites.served} stored", flush=True)

            def cut() -> None:
                proxy.cut()
                time.sleep(4)
                proxy.restore()

            interrupted_crawl(env, url, at, cut, "--all", timeout=300)
            after = tally(url)
            newswatch(env, *crawl_args("--all"))
            final = tally(url)
        return {"after_fault": after, "final": final, "served": sites.served}
    finally:
        proxy.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_fault(name: str, work: Path, seed: int, outlets: int = 20, articles: int = 30,
              recovery: tuple[tuple[str, ...], ...] = ((), ("--all",))) -> dict[str, Any]:
    """One fault on fresh sites and a fresh home: inject, recover, count."""
    rng = random.Random(seed)
    home = work / name
    home.mkdir(parents=True, exist_ok=True)
    with Sites(outlets, articles, home) as sites:
        env = cli_env(home, sites.registry)
        db = home / "newswatch.db"
        at = int(sites.served * rng.uniform(0.2, 0.7))
        print(f"fault {name}: seed {seed}, signal at {at} of {sites.served} articles stored", flush=True)
        code = interrupted_crawl(env, db, at, FAULTS[name], "--all", timeout=300)
        after_fault = tally(db)
        for extra in recovery:
            newswatch(env, *crawl_args(*extra))
        final = tally(db)
        smtp = _Smtp()  # then every alert is mailed: once each
        try:
            newswatch({**env, **smtp.env()}, "send", "--digest")
            newswatch({**env, **smtp.env()}, "send", "--digest")
        finally:
            smtp.stop()
        unsent, _ = mail_outcome(db)
    return {"fault": name, "seed": seed, "at": at, "exit": code, "after_fault": after_fault, "final": final,
            "served": sites.served, "unsent": unsent, "mails_duplicated": smtp.duplicated}


def run() -> dict[str, Any]:
    fixed = settings().fault_seed
    seed = fixed if fixed is not None else random.randrange(1, 10**6)
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="nw-faults-") as tmp:
        for i, name in enumerate(FAULTS):
            out = run_fault(name, Path(tmp), seed + i)
            final: Tally = out["final"]
            lost = final.lost(out["served"]) + out["unsent"]
            dup = final.duplicate_alerts + out["mails_duplicated"]
            print(f"  {name}: stored {out['after_fault'].articles} at the fault, {final.articles} of "
                  f"{out['served']} after recovery; stories matched {final.matched_stories}, alerted "
                  f"{final.alerted_stories}, unsent {out['unsent']}; lost {lost}, duplicated {dup}", flush=True)
            figures[f"faults.{name}.lost"] = lost
            figures[f"faults.{name}.duplicated"] = dup
        pg = run_pgcut(Path(tmp), seed + 10)
        if pg is None:
            print("  pgcut: skipped (no PostgreSQL on 127.0.0.1:5432)")
        else:
            final = pg["final"]
            lost = final.lost(pg["served"])
            print(f"  pgcut: stored {pg['after_fault'].articles} after the cut run, {final.articles} of "
                  f"{pg['served']} after recovery; stories matched {final.matched_stories}, alerted "
                  f"{final.alerted_stories}; lost {lost}, duplicated {final.duplicate_alerts}", flush=True)
            figures["faults.pgcut.lost"] = lost
            figures["faults.pgcut.duplicated"] = final.duplicate_alerts
        mail = run_smtp550(Path(tmp), seed + 20)
        print(f"  smtp550: {mail['detail']}; lost {mail['lost']}, duplicated {mail['duplicated']}", flush=True)
        figures["faults.smtp550.lost"] = mail["lost"]
        figures["faults.smtp550.duplicated"] = mail["duplicated"]
    TARGETS.update({k: "0" for k in figures})
    return figures
