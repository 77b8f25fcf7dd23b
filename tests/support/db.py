"""Database helpers: wiping the PostgreSQL test database, and tests that need one backend only."""

from __future__ import annotations

import pytest

# for a test that is about one backend's behaviour (row locks, pg_dump, SQLite's file copy): the
# `db` fixture on that backend alone, instead of a skip on the other
ONLY_POSTGRES = pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                        indirect=True)
ONLY_SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def reset_pg(url: str) -> None:
    """Drop every table, type and sequence of the database at `url`."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
