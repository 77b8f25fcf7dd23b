"""`newswatch backup` / `restore`: a round trip on SQLite (online backup API) and PostgreSQL (pg_dump -Fc)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.commands.ops import main
from crawler.store import Database
from crawler.store.models import Article
from tests.support.db import ONLY_SQLITE
from tests.support.env import need_tool
from tests.support.ops import add_article


def _titles(db: Database) -> list[str]:
    with db.sessions() as s:
        return list(s.scalars(select(Article.title).order_by(Article.id)))


def test_round_trip(db: Database, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if db.is_postgres:
        need_tool("pg_dump")
        need_tool("pg_restore")
    add_article(db, title="백업 전 기사 1", body="본문 1")
    add_article(db, title="백업 전 기사 2", body="본문 2")
    dump = tmp_path / "backups" / "newswatch.backup"
    assert main(["backup", str(dump)]) == 0
    assert "backed up" in capsys.readouterr().out and dump.stat().st_size > 0
    add_article(db, title="백업 후 기사", body="본문 3")
    with db.session() as s:
        s.delete(s.scalars(select(Article).where(Article.title == "백업 전 기사 1")).one())
    assert main(["restore", str(dump)]) == 0
    out = capsys.readouterr().out
    assert "restored" in out and "before-restore-" in out
    db.engine.dispose()  # fresh connections see the restored database
    assert _titles(db) == ["백업 전 기사 1", "백업 전 기사 2"]
    safety = next((home / "backups").glob("before-restore-*"))
    assert safety.stat().st_size > 0
    if not db.is_postgres:
        conn = sqlite3.connect(safety)
        try:
            assert [r[0] for r in conn.execute("SELECT title FROM articles ORDER BY id")] == [
                "백업 전 기사 2", "백업 후 기사"]
        finally:
            conn.close()


@ONLY_SQLITE
def test_sqlite_backup_while_open_is_consistent(db: Database, tmp_path: Path) -> None:
    for i in range(20):
        add_article(db, title=f"기사 {i}", body="본문")
    dump = tmp_path / "copy.db"
    with db.sessions() as s:  # a reader holds the database open meanwhile
        s.scalar(select(func.count(Article.id)))
        assert main(["backup", str(dump)]) == 0
    conn = sqlite3.connect(dump)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 20
    finally:
        conn.close()


def test_restore_refuses_a_file_that_is_not_a_backup(db: Database, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    add_article(db, title="남아야 할 기사", body="본문")
    bogus = tmp_path / "bogus.db"
    bogus.write_text("이건 백업이 아닙니다", encoding="utf-8")
    assert main(["restore", str(bogus)]) == 2
    err = capsys.readouterr().err
    assert "newswatch restore:" in err
    assert main(["restore", str(tmp_path / "missing.db")]) == 2
    assert "no such backup file" in capsys.readouterr().err
    assert _titles(db) == ["남아야 할 기사"]


def test_backup_without_a_database_is_a_clear_error(home: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backup", str(tmp_path / "x.db")]) == 2
    assert "no SQLite database at" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()
