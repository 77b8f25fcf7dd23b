"""Backups and restores of the store: SQLite's online backup API, pg_dump/pg_restore for PostgreSQL.

A restore never loses the current data silently: the database as it was is first saved to
``$NEWSWATCH_HOME/backups/before-restore-<UTC time>.<db|dump>``, and the path is reported.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from crawler import paths
from crawler.ops.common import OpsError


@dataclass(frozen=True)
class BackupResult:
    """Where a backup went and how large it is."""

    path: Path
    backend: str
    size: int
    safety_copy: Path | None = None


def _url(url: str | None) -> URL:
    return make_url(url or paths.db_url())


def backups_dir() -> Path:
    return paths.home() / "backups"


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def sqlite_file(url: URL) -> Path:
    """The database file of a SQLite URL (in-memory databases cannot be backed up)."""
    if not url.database or url.database == ":memory:":
        raise OpsError("an in-memory SQLite database cannot be backed up; set NEWSWATCH_DB_URL to a file")
    return Path(url.database)


def backup(dest: Path, url: str | None = None) -> BackupResult:
    """Back the store up into `dest` (written aside, then renamed: never a half file)."""
    parsed = _url(url)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    tmp.unlink(missing_ok=True)
    if parsed.get_backend_name() == "sqlite":
        _sqlite_backup(sqlite_file(parsed), tmp)
        backend = "sqlite"
    elif parsed.get_backend_name() == "postgresql":
        _pg("pg_dump", parsed, ["-Fc", "--no-owner", "-f", str(tmp)])
        backend = "postgresql"
    else:
        raise OpsError(f"cannot back up a {parsed.get_backend_name()} database; SQLite and PostgreSQL only")
    tmp.replace(dest)
    return BackupResult(dest, backend, dest.stat().st_size)


def restore(src: Path, url: str | None = None) -> BackupResult:
    """Replace the store's content by a backup, after saving the current content aside."""
    parsed = _url(url)
    src = Path(src)
    if not src.is_file():
        raise OpsError(f"{src}: no such backup file")
    backups_dir().mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        check_sqlite_backup(src)
        live = sqlite_file(parsed)
        safety = None
        if live.exists():
            safety = backups_dir() / f"before-restore-{_stamp()}.db"
            _sqlite_backup(live, safety)
        live.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        target = sqlite3.connect(live, timeout=30)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return BackupResult(src, "sqlite", src.stat().st_size, safety)
    if parsed.get_backend_name() == "postgresql":
        _pg("pg_restore", parsed, ["--list", str(src)], database=False)
        safety = backups_dir() / f"before-restore-{_stamp()}.dump"
        _pg("pg_dump", parsed, ["-Fc", "--no-owner", "-f", str(safety)])
        _pg("pg_restore", parsed, ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(src)])
        return BackupResult(src, "postgresql", src.stat().st_size, safety)
    raise OpsError(f"cannot restore into a {parsed.get_backend_name()} database; SQLite and PostgreSQL only")


def _sqlite_backup(src: Path, dest: Path) -> None:
    """Copy a live SQLite database page by page (consistent even while a crawl writes)."""
    if not src.is_file():
        raise OpsError(f"no SQLite database at {src}; nothing to back up (check NEWSWATCH_DB_URL / NEWSWATCH_HOME)")
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(dest)
    try:
        source.backup(target, pages=1024)
    finally:
        target.close()
        source.close()


def check_sqlite_backup(path: Path) -> None:
    """OpsError unless `path` is an intact newswatch SQLite database."""
    try:
        with open(path, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise OpsError(f"{path} is not a SQLite database (for PostgreSQL use a pg_dump -Fc file)")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise OpsError(f"{path} is not a readable SQLite database ({exc})") from None
    if ok != "ok":
        raise OpsError(f"{path} fails SQLite's integrity check ({ok}); use another backup")
    if not {"alembic_version", "articles"} <= tables:
        raise OpsError(f"{path} is not a newswatch database (no articles / alembic_version table)")


def _pg(tool: str, url: URL, args: list[str], *, database: bool = True) -> None:
    """Run pg_dump / pg_restore against the URL (password through PGPASSWORD, never on the command line)."""
    exe = shutil.which(tool)
    if exe is None:
        raise OpsError(f"{tool} is not installed; install the PostgreSQL client tools (same major version as the server)")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    cmd = [exe, *args]
    if database:
        cmd += ["-d", conninfo]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=3600)
    if done.returncode != 0:
        raise OpsError(f"{tool} failed ({done.returncode}): {done.stderr.strip()[:500]}")
