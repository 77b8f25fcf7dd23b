"""One scheduler per database: a PostgreSQL advisory lock, or a file lock next to a SQLite store.

The PostgreSQL lock belongs to one open connection: if the server goes away the lock goes with
it, so the heartbeat calls `ensure()`, which takes it again on the new connection or reports
that another scheduler took over.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from crawler import paths

log = logging.getLogger(__name__)

# a fixed 64-bit key; advisory locks are per database, so schedulers of other databases don't clash
ADVISORY_KEY = 0x6E657773_77617463  # "newswatc"


class AlreadyRunning(RuntimeError):
    """Another scheduler holds the lock; the message says where and how to check."""


class SchedulerLock:
    """Held for the scheduler's lifetime; `acquire()` raises AlreadyRunning if another holds it."""

    def __init__(self, engine: Engine, lock_file: Path | None = None) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.lock_file = lock_file or sqlite_lock_file(engine, "scheduler")
        self._conn: Connection | None = None
        self._file: FileLock | None = None

    def describe(self) -> str:
        if self.postgres:
            url = self.engine.url.render_as_string(hide_password=True)
            return f"PostgreSQL advisory lock {ADVISORY_KEY} on {url}"
        return f"file lock {self.lock_file}"

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunning naming it."""
        if self.postgres:
            if not self._try_advisory():
                raise AlreadyRunning(
                    f"another `newswatch schedule` is running on this database ({self.describe()} is held); "
                    "check `newswatch status` or pg_locks, stop the other one first"
                )
            return
        self.lock_file.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.lock_file), is_singleton=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise AlreadyRunning(
                f"another `newswatch schedule` is running on this database ({self.describe()} is held"
                f" on {socket.gethostname()}); stop the other one first"
            ) from None
        self._file = lock

    def _try_advisory(self) -> bool:
        conn = self.engine.connect()
        try:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar())
            conn.commit()
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def ensure(self) -> None:
        """Check the advisory lock's connection; retake it after a lost connection (raises AlreadyRunning)."""
        if not self.postgres:
            return
        try:
            assert self._conn is not None
            self._conn.execute(text("SELECT 1")).scalar()
            self._conn.commit()
            return
        except (SQLAlchemyError, AssertionError) as exc:
            log.warning("the scheduler lock's connection was lost (%s); taking the lock again", _first_line(exc))
            self._drop_conn()
        self.acquire()  # a StoreUnavailable/OperationalError here means the server is still away
        log.info("scheduler lock taken again: %s", self.describe())

    def _drop_conn(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except SQLAlchemyError:
                pass
            self._conn = None

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                self._conn.commit()
            except SQLAlchemyError:
                pass  # the server went away: the lock went with the session
            self._drop_conn()
        if self._file is not None:
            self._file.release()
            self._file = None


def sqlite_lock_file(engine: Engine, purpose: str) -> Path:
    """A lock file next to the SQLite database file, so that two home directories sharing one
    NEWSWATCH_DB_URL share the lock (an in-memory database: under NEWSWATCH_HOME)."""
    db = engine.url.database
    if engine.dialect.name == "sqlite" and db and db != ":memory:" and not db.startswith("file:"):
        path = Path(db).resolve()
        return path.with_name(f"{path.name}.{purpose}.lock")
    return paths.home() / f"{purpose}.lock"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
