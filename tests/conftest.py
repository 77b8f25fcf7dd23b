"""Shared fixtures: databases on both backends, the demo sites, the shared corpus, services.

What the machine must provide is checked by `tests.support.env.require` (a skip with the reason,
a failure under CI=true).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.db import reset_pg
from tests.support.env import CORPUS, need_chromium, need_service, need_shared
from tests.support.sites import StartSites, demo_sites

PG_ADMIN_URL = os.environ.get("NEWSWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("NEWSWATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Each test builds the settings object from its own environment, again after every
    monkeypatched change to it (the cached object would keep the old values)."""
    from crawler.config import reset_settings

    originals = {name: getattr(pytest.MonkeyPatch, name) for name in ("setenv", "delenv", "setitem", "delitem")}

    def resetting(method: Any) -> Any:
        def wrapper(self: pytest.MonkeyPatch, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            finally:
                reset_settings()

        return wrapper

    for name, method in originals.items():
        setattr(pytest.MonkeyPatch, name, resetting(method))
    reset_settings()
    try:
        yield
    finally:
        for name, method in originals.items():
            setattr(pytest.MonkeyPatch, name, method)
        reset_settings()


@pytest.fixture
def corpus() -> Path:
    return need_shared(CORPUS)


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[StartSites]:
    """Start the demo sites: `sites(outlets, anchor, faults=..., port_base=...)` -> running DemoSites
    with its registry at `tmp_path/outlets.toml` and its request log at `tmp_path/requests.log`."""
    with demo_sites(tmp_path) as start:
        yield start


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private NEWSWATCH_HOME (and no stray deployment settings from the environment)."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("NEWSWATCH_HOME", str(h))
    for var in list(os.environ):
        if var.startswith("NEWSWATCH_SMTP_") or var in ("NEWSWATCH_DB_URL", "NEWSWATCH_REDIS_URL", "SENTRY_DSN"):
            monkeypatch.delenv(var, raising=False)
    return h


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """An empty PostgreSQL database for this test session; dropped at the end."""
    need_service("PostgreSQL", "127.0.0.1", 5432)
    from sqlalchemy import create_engine, text

    name = f"newswatch_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, home: Path) -> str:
    """A fresh, empty database URL on each backend (SQLite file under the test home; PostgreSQL)."""
    if request.param == "sqlite":
        return f"sqlite:///{home / 'newswatch.db'}"
    url = request.getfixturevalue("pg_server")
    reset_pg(url)
    return url


@pytest.fixture
def db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A migrated `crawler.store.Database` on each backend; NEWSWATCH_DB_URL points at it."""
    from crawler.store import Database

    monkeypatch.setenv("NEWSWATCH_DB_URL", db_url)
    database = Database.open(db_url)
    yield database
    database.close()


@pytest.fixture
def redis_url() -> str:
    need_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture
def chromium() -> str:
    return need_chromium()
