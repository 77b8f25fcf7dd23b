"""Migration 0003: the labels and outlet_mutes tables match crawler.store.models, and it downgrades cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import crawler.store.models  # noqa: F401 - registers every table on Base.metadata
from crawler.store import Database
from crawler.store.db import alembic_config
from crawler.store.models import Base

OPS_TABLES = {"labels", "outlet_mutes"}


def _table_of(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:] if isinstance(item, tuple) else ():
        name = getattr(part, "name", None) if not isinstance(part, str) else None
        table = getattr(part, "table", None)
        if table is not None:
            return str(table.name)
        if name in OPS_TABLES:
            return str(name)
        if isinstance(part, str) and part in OPS_TABLES:
            return part
    return None


def test_models_match_the_migration(db: Database) -> None:
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diffs if _table_of(d) in OPS_TABLES] == []


def test_downgrade_and_upgrade(db: Database) -> None:
    cfg = alembic_config(db.engine)
    command.downgrade(cfg, "0002")  # only 0003 (and what came after it), whatever comes before it
    assert not OPS_TABLES & set(inspect(db.engine).get_table_names())
    command.upgrade(cfg, "head")
    assert OPS_TABLES <= set(inspect(db.engine).get_table_names())
