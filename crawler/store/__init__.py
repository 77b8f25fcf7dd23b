"""Storage: SQLAlchemy models, Alembic migrations, and the operations the flow needs."""

from __future__ import annotations

from crawler.store.db import Database, StoreUnavailable, make_engine, migrate

__all__ = ["Database", "StoreUnavailable", "make_engine", "migrate"]
