"""Alembic environment: uses the engine handed over by crawler.store.db.migrate, or NEWSWATCH_DB_URL."""

from __future__ import annotations

from alembic import context

from crawler.store.db import make_engine
from crawler.store.models import Base

config = context.config
target_metadata = Base.metadata


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """APScheduler's job store manages its own table; autogenerate must not drop it."""
    return not (type_ == "table" and name == "apscheduler_jobs")


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
