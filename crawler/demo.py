"""`make demo`: serve the bundled sites on 127.0.0.1, run one full cycle, print the matches.

The demo never touches a real setup: it runs in its own home (`var/demo/`, or `--home DIR`) with
its own SQLite store, registry and recipients; it ignores NEWSWATCH_DB_URL, never uses SMTP (mail
goes to the demo's outbox, subject marked [데모]) and never sends real pending digests. `--fresh`
removes only what the demo wrote there.

The demo sites are dated relative to an anchor kept in <demo home>/anchor.txt, so a second run
sees byte-identical sites: it fetches only feeds (304), stores nothing, sends nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from crawler import paths
from crawler.alert.plan import alert_max_age_hours
from crawler.clock import SEOUL
from crawler.commands.alert import send_command
from crawler.config import reset_settings, settings
from crawler.crawl.runner import run_crawl
from crawler.releases import add_release, read_release, render_report, report
from crawler.store import Database
from crawler.store.models import Alert, Article, Match

SERVER_START_TIMEOUT = 60
SUBJECT_PREFIX = "[데모] "
DEMO_RECIPIENT = "office@demo.invalid"  # .invalid: no mail server anywhere accepts it
# the settings a real deployment sets that the demo must never inherit (it sets its own)
_REAL_SETTINGS = ("NEWSWATCH_DB_URL", "NEWSWATCH_OUTLETS_FILE", "NEWSWATCH_RECIPIENTS_FILE", "NEWSWATCH_WEB_URL",
                  "NEWSWATCH_REDIS_URL", "NEWSWATCH_SECRET", "SENTRY_DSN", "NEWSWATCH_SENTRY_DSN")
_WRITTEN = ("newswatch.db", "newswatch.db-wal", "newswatch.db-shm", "anchor.txt", "outlets.toml",
            "recipients.toml", "requests.log", "demo.env", "secret.key")


def demo_home() -> Path:
    """Where the demo keeps everything: NEWSWATCH_DEMO_HOME, else var/demo/ in the project."""
    value = settings().demo_home
    return value.expanduser().resolve() if value else paths.PROJECT_ROOT / "var" / "demo"


def _demo_log_level() -> str:
    """NEWSWATCH_LOG_LEVEL when it is set, else WARNING: the demo's crawl is quiet by default."""
    s = settings()
    return s.log_level if s.source("log_level") == "environment" else "WARNING"


def demo_environment(home: Path) -> dict[str, str]:
    """The variables the demo runs under (and that `demo.env` gives a shell to look at it)."""
    return {
        "NEWSWATCH_HOME": str(home),
        "NEWSWATCH_OUTLETS_FILE": str(home / "outlets.toml"),
        "NEWSWATCH_RECIPIENTS_FILE": str(home / "recipients.toml"),
    }


def isolate(home: Path) -> None:
    """Point this process at the demo home and forget every real store, mail server and registry."""
    for name in list(os.environ):
        if name in _REAL_SETTINGS or name.startswith("NEWSWATCH_SMTP_"):
            del os.environ[name]
    os.environ.update(demo_environment(home))
    os.environ["NEWSWATCH_SUBJECT_PREFIX"] = SUBJECT_PREFIX
    reset_settings()  # the settings object is built again from the demo's environment


def write_recipients(home: Path) -> Path:
    """The demo's one recipient: every watchlist, digest every day (an address no server accepts)."""
    watchlists = sorted(p.stem for p in paths.watchlists_dir().glob("*.toml"))
    path = home / "recipients.toml"
    path.write_text(
        "# The demo's own recipients (written by `newswatch demo`; mail goes to the demo outbox only).\n\n"
        "[[recipient]]\n"
        f'address = "{DEMO_RECIPIENT}"\n'
        'name = "의료관광팀(데모)"\n'
        f"watchlists = [{', '.join(repr(w).replace(chr(39), chr(34)) for w in watchlists)}]\n"
        'mode = "digest"\n'
        'digest_times = ["08:30"]\n'
        'weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n'
        "skip_holidays = false\n"
        "echo = true\n",  # the digest shows the demo office's release and who carried it
        encoding="utf-8",
    )
    return path


class DemoError(RuntimeError):
    pass


def _anchor(demo_dir: Path, fresh_store: bool) -> str:
    """The demo's time anchor: kept between runs, renewed when the store is new."""
    f = demo_dir / "anchor.txt"
    if f.exists() and not fresh_store:
        return f.read_text().strip()
    anchor = datetime.now(UTC).replace(microsecond=0).isoformat()
    f.write_text(anchor + "\n")
    return anchor


def start_sites(demo_dir: Path, anchor: str, port_base: int, extra: list[str] | None = None) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start the demo site server; return the process and outlet id -> base URL."""
    cmd = [sys.executable, "-m", "crawler.demosites", "serve", "--anchor", anchor, "--port-base", str(port_base),
           "--registry-out", str(demo_dir / "outlets.toml"), "--log", str(demo_dir / "requests.log"), *(extra or [])]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=paths.PROJECT_ROOT)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        err = proc.stderr.read() if proc.stderr else ""
        proc.wait(timeout=5)
        raise DemoError(f"the demo site server did not start: {err.strip() or 'no output'}\n"
                        f"(ports from {port_base} busy? try `newswatch demo --port-base 9701`)")
    if time.monotonic() > deadline:
        proc.terminate()
        raise DemoError("the demo site server took too long to start")
    return proc, json.loads(line)["outlets"]


def stop_sites(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def reset(home: Path) -> list[Path]:
    """`--fresh`: remove the files the demo writes in its home (and its outbox), nothing else."""
    removed = []
    for name in _WRITTEN:
        p = home / name
        if p.is_file():
            p.unlink()
            removed.append(p)
    outbox = home / "outbox"
    if outbox.is_dir():
        for p in sorted(outbox.glob("*.eml")):
            p.unlink()
            removed.append(p)
    return removed


def run_demo(port_base: int = 8701, fresh: bool = False, home: Path | None = None) -> int:
    home = (home or demo_home()).resolve()
    if home == paths.home().resolve() and not (home / "anchor.txt").exists() and (home / "newswatch.db").exists():
        raise DemoError(f"{home} holds a store the demo did not write; give the demo its own home "
                        "(--home DIR or NEWSWATCH_DEMO_HOME)")
    print(f"newswatch demo: everything stays in {home} (its own SQLite store, outlets and recipients); "
          "NEWSWATCH_DB_URL and SMTP are never used, mail goes to its outbox marked [데모].", flush=True)
    home.mkdir(parents=True, exist_ok=True)
    isolate(home)

    if fresh:
        for p in reset(home):
            print(f"removed {p}")
    new_store = not (home / "newswatch.db").exists()
    anchor = _anchor(home, fresh or new_store)
    write_recipients(home)
    (home / "demo.env").write_text("".join(f"{k}={v}\n" for k, v in demo_environment(home).items()),
                                   encoding="utf-8")
    outbox_before = set(paths.outbox_dir().glob("*.eml")) if paths.outbox_dir().exists() else set()
    _register_demo_release(anchor)
    proc, outlets = start_sites(home, anchor, port_base)
    try:
        print(f"demo sites: {len(outlets)} outlets on 127.0.0.1 (ports {port_base}–{port_base + len(outlets) - 1}); "
              f"store: {paths.db_url()}")
        summary = run_crawl(sorted(outlets), {**demo_environment(home),
                                               "LOG_LEVEL": _demo_log_level()})
    finally:
        stop_sites(proc)

    t = summary.totals
    print(f"crawl: {t['requests']} requests, {t['new']} new articles, {t['updated']} updated, "
          f"{t['matches']} new matches, {t['errors']} errors")
    send_command(digest=True, dry_run=False)  # the demo store's own pending digests only
    print_matches(sorted(outlets))
    _print_release_report()
    new_mail = sorted(set(paths.outbox_dir().glob("*.eml")) - outbox_before) if paths.outbox_dir().exists() else []
    for p in new_mail:
        print(f"alert mail written: {p}")
    if not new_mail:
        print("no new alert mail: nothing new since the last run")
    env = " ".join(f"{k}={v}" for k, v in demo_environment(home).items())
    print(f"look at the demo: env $(cat {home / 'demo.env'}) newswatch status   (or: {env} newswatch web)")
    return 0 if summary.finish_reason == "finished" and t["errors"] == 0 else 1


DEMO_RELEASE = paths.PROJECT_ROOT / "crawler" / "demosites" / "data" / "release_seogu.txt"
DEMO_RELEASE_AGE_HOURS = 22  # released before the demo outlets carried it


def _register_demo_release(anchor: str) -> None:
    """The demo office's press release, registered (once) before the crawl traces its pick-ups."""
    released = datetime.fromisoformat(anchor) - timedelta(hours=DEMO_RELEASE_AGE_HOURS)
    rel = read_release(str(DEMO_RELEASE), date=released.isoformat())
    db = Database.open()
    try:
        with db.session() as session:
            add_release(session, rel)
    finally:
        db.close()


def _print_release_report() -> None:
    db = Database.open()
    try:
        with db.session() as session:
            print("press releases and their pick-ups (newswatch releases report):")
            print(render_report(report(session)), end="")
    finally:
        db.close()


def print_matches(outlet_ids: list[str]) -> None:
    """The table of relevant matches of these outlets: outlet, Seoul time, title, score, terms, mailed."""



    seoul = SEOUL
    db = Database.open()
    with db.sessions() as s:
        rows: list[Any] = list(s.execute(
            select(Match, Article).join(Article, Match.article_id == Article.id)
            .where(Match.relevant.is_(True), Article.outlet_id.in_(outlet_ids))
            .order_by(Article.published_at.desc())
        ).all())
        mailed = {a for (a,) in s.execute(select(Alert.story_id).where(Alert.status == "sent"))}
        queued = {a for (a,) in s.execute(select(Alert.story_id).where(Alert.status != "sent"))}
        table = Table(title=f"matches ({len(rows)})", show_lines=False)
        for col in ("outlet", "published (Seoul)", "title", "score", "matched terms", "mail"):
            table.add_column(col, overflow="fold")
        for match, art in rows:
            when = art.published_at.astimezone(seoul).strftime("%Y-%m-%d %H:%M") if art.published_at else "—"
            table.add_row(art.outlet_id, when, art.title, f"{match.score:.1f}", ", ".join(match.terms[:6]),
                          _mail_state(art, match, mailed, queued))
    db.close()
    console = Console()
    if not console.is_terminal:  # a pipe or a log: room for whole titles
        console = Console(width=160)
    console.print(table)


def _mail_state(art: Any, match: Any, mailed: set[int], queued: set[int]) -> str:
    """Why an article's story was or was not mailed."""
    if art.story_id in mailed:
        return "sent"
    if art.story_id in queued:
        return "queued"

    limit = alert_max_age_hours()
    published = art.published_at or art.first_seen_at
    if (match.matched_at - published).total_seconds() > limit * 3600:
        return f"older than {limit:g} h: stored, not mailed"
    return "not mailed"
