"""The schema migrates on both backends, keeps times timezone-aware, and enforces the alert key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from crawler.store import Database, StoreUnavailable
from crawler.store.models import Alert, Article, Match, Story


def _article(**kw: object) -> Article:
    base = dict(
        outlet_id="demo", url="http://x/1", url_key="x|1", canonical_url="http://x/1", title="제목",
        body="본문", body_hash="h", family="ndsoft",
    )
    base.update(kw)
    return Article(**base)


def test_migrate_twice_is_harmless(db: Database) -> None:
    with db.session() as s:
        s.add(_article())
    with db.engine.connect() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    again = Database.open(str(db.engine.url.render_as_string(hide_password=False)))
    try:
        with again.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head]
        with again.session() as s:
            assert [a.title for a in s.scalars(select(Article))] == ["제목"], "the rows stay"
    finally:
        again.close()


def test_times_come_back_aware_in_utc(db: Database) -> None:
    seoul = timezone(timedelta(hours=9))
    with db.session() as s:
        s.add(_article(published_at=datetime(2026, 1, 2, 11, 10, tzinfo=seoul)))
    with db.session() as s:
        a = s.scalars(select(Article)).one()
        assert a.published_at == datetime(2026, 1, 2, 2, 10, tzinfo=UTC)
        assert a.published_at.tzinfo is not None


def test_naive_datetime_is_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"), db.session() as s:
        s.add(_article(published_at=datetime(2026, 1, 2, 11, 10)))


def test_alert_key_is_unique(db: Database) -> None:
    with db.session() as s:
        story = Story(title="t", signature=b"")
        art = _article()
        s.add_all([story, art])
        s.flush()
        m = Match(article_id=art.id, watchlist_id="medical-tourism", score=9.0, relevant=True, rule="r")
        s.add(m)
        s.flush()
        s.add(Alert(recipient="a@x", watchlist_id="medical-tourism", story_id=story.id, article_id=art.id, match_id=m.id))
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(Alert(recipient="a@x", watchlist_id="medical-tourism", story_id=story.id, article_id=art.id, match_id=m.id))


def test_unwritable_home_fails_before_anything(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("NEWSWATCH_HOME", str(blocker / "home"))
    monkeypatch.delenv("NEWSWATCH_DB_URL", raising=False)
    with pytest.raises(StoreUnavailable, match="NEWSWATCH_HOME"):
        Database.open()


def test_database_down_names_the_fix() -> None:
    with pytest.raises(StoreUnavailable, match="not reachable.*NEWSWATCH_DB_URL"):
        Database.open("postgresql+psycopg://postgres@127.0.0.1:1/none")


def test_list_shapes_move_out_of_the_validators_table_and_back(db: Database) -> None:
    # shapes learned before 0007 were JSON in http_validators; the migration keeps them as rows
    import json

    from alembic import command

    from crawler.store import crawlstate
    from crawler.store.db import alembic_config
    from crawler.store.models import HttpValidator, ListShape

    cfg = alembic_config(db.engine)
    command.downgrade(cfg, "0006")
    learned = {"/article/{n}": {"articles": 4, "other": 0}, "/tag/{w}": {"articles": 0, "other": 3}}
    crawlstate.save_validators(db, [("newswatch:list-shapes:gaonilbo", json.dumps(learned), None),
                             ("http://x/rss.xml", '"etag-1"', None)])
    command.upgrade(cfg, "head")
    assert crawlstate.list_shapes(db, "gaonilbo") == {"/article/{n}": (4, 0), "/tag/{w}": (0, 3)}
    with db.sessions() as s:
        keys = set(s.scalars(select(HttpValidator.url)))
        learned_at = s.scalars(select(ListShape.learned_at)).first()
    assert keys == {"http://x/rss.xml"}  # feed validators stay where they were
    assert learned_at is not None and learned_at.tzinfo is not None

    crawlstate.save_list_shapes(db, "gaonilbo", {"/article/{n}": (5, 0)})
    assert crawlstate.list_shapes(db, "gaonilbo")["/article/{n}"] == (5, 0)
    command.downgrade(cfg, "0006")
    with db.sessions() as s:
        back = s.get(HttpValidator, "newswatch:list-shapes:gaonilbo")
    assert back is not None and json.loads(back.etag or "")["/article/{n}"] == {"articles": 5, "other": 0}
    command.upgrade(cfg, "head")
    assert crawlstate.list_shapes(db, "gaonilbo")["/tag/{w}"] == (0, 3)
