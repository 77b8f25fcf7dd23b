"""Opening the database: engine options per backend, migrations, and clear errors before any fetch."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from crawler import paths
from crawler.config import settings
from crawler.errors import ServiceUnavailable


def migrations_dir() -> Path:
    """Alembic's scripts as a real folder (copied out of a zipped egg)."""
    return paths.packaged("crawler.store", "migrations")


MIGRATION_LOCK_KEY = 0x6E657773_6D696772  # "newsmigr": the PostgreSQL advisory lock around migrations


def db_timeout_s() -> float:
    """NEWSWATCH_DB_TIMEOUT_S: connect, lock-wait and statement timeout in seconds."""
    return settings().db_timeout_s


class StoreUnavailable(ServiceUnavailable):
    """The database cannot be used; the message carries the fix. Raised before anything is fetched."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={int(db_timeout_s() * 1000)}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    # a year's store is a few GB: through SQLite's 2 MB page cache every story lookup copies its
    # index and article pages from the OS; memory-mapped (file pages the OS can drop), it reads
    # them in place (128 MB at most): assign_story at 200k stored articles 5.5 -> 3 ms median. (A 64 MB page
    # cache gained less, 4.6 ms, and cost the crawl 60 MB of RSS.)
    cur.execute("PRAGMA mmap_size=134217728")
    cur.close()


def make_engine(url: str | None = None) -> Engine:
    """An engine for NEWSWATCH_DB_URL (default SQLite under NEWSWATCH_HOME, WAL and a busy timeout)."""
    url = url or paths.db_url()
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreUnavailable(
            f"NEWSWATCH_DB_URL={url!r} is not a database URL; use e.g. "
            "postgresql+psycopg://user@host/db or sqlite:////path/newswatch.db"
        ) from exc
    if parsed.drivername == "postgresql":  # psycopg 3 is the driver we ship
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            _check_writable(Path(db).parent)
        engine = create_engine(parsed, connect_args={"timeout": db_timeout_s()})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    timeout = db_timeout_s()
    # a server that went away or paused: connecting and every statement give up after the timeout
    # (the article is then counted as not stored and fetched again next run), never a hang
    args = {"connect_timeout": max(1, round(timeout)),
            "options": f"-c statement_timeout={int(timeout * 1000)} -c lock_timeout={int(timeout * 1000)}",
            "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}
    return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5, pool_timeout=timeout,
                         connect_args=args)


def _check_writable(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreUnavailable(
            f"cannot create {directory} ({exc.strerror}); set NEWSWATCH_HOME to a writable directory"
        ) from exc
    if not os.access(directory, os.W_OK):
        raise StoreUnavailable(
            f"{directory} is not writable; set NEWSWATCH_HOME to a writable directory or fix its permissions"
        )


def alembic_config(engine: Engine) -> Any:
    # start-up time: alembic is loaded only when this runs
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    # start-up time: alembic is loaded only when this runs
    from alembic import command

    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        raise StoreUnavailable(
            f"the database at {engine.url.render_as_string(hide_password=True)} is not reachable "
            f"({str(exc.orig).strip().splitlines()[0] if exc.orig else exc}); start it or set NEWSWATCH_DB_URL"
        ) from exc
    with _migration_lock(engine):
        command.upgrade(alembic_config(engine), "head")


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Two processes opening a new or older store at once migrate one after the other (the second
    then finds nothing to do): a lock file next to a SQLite store, an advisory lock on PostgreSQL."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                conn.commit()
        return
    db = engine.url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        yield
        return

    path = Path(db).resolve()
    with FileLock(str(path.with_name(f"{path.name}.migrate.lock")), timeout=max(60.0, db_timeout_s())):
        yield


class Database:
    """An engine and a session factory; `open()` migrates and checks the database first."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str | None = None, *, migrate_schema: bool = True) -> Database:
        engine = make_engine(url)
        if migrate_schema:
            migrate(engine)
        return cls(engine)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()
