"""`newswatch prune`: bodies of old unmatched articles go; URLs, stories, matches and labelled texts stay."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.commands.ops import main
from crawler.ops.feedback import record_label
from crawler.ops.prune import parse_age, prune
from crawler.store import Database
from crawler.store.models import Article, ArticleUrl, ArticleVersion, Match, Story
from tests.support.ops import WL, add_article

OLD = datetime.now(UTC) - timedelta(days=400)


def _seed(db: Database) -> dict[str, int]:
    return {
        "old": add_article(db, title="오래된 날씨", body="맑음", first_seen_at=OLD, published_at=OLD).article_id,
        "old_matched": add_article(db, title="오래된 의료관광", body="의료관광", first_seen_at=OLD,
                                   published_at=OLD, match=9.0).article_id,
        "old_unmatched_row": add_article(db, title="오래된 스친 기사", body="관광", first_seen_at=OLD,
                                         match=1.0, relevant=False).article_id,
        "old_labelled": add_article(db, title="놓친 기사", body="의료 관광객 유치", first_seen_at=OLD).article_id,
        "young": add_article(db, title="오늘 날씨", body="흐림").article_id,
        "backfilled": add_article(db, title="오래된 기사 새로 수집", body="옛 글",
                                  published_at=datetime.now(UTC) - timedelta(days=2)).article_id,
    }


def test_prune_keeps_urls_stories_matches_and_labelled_texts(db: Database, home: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    ids = _seed(db)
    with db.session() as s:
        story = s.get(Article, ids["old_labelled"]).story_id
        record_label(s, watchlist_id=WL, story_id=story, verdict="relevant", recipient="kim@example.org", source="cli")
        before = (s.scalar(select(func.count(ArticleUrl.url_key))), s.scalar(select(func.count(Story.id))),
                  s.scalar(select(func.count(Match.id))), s.scalar(select(func.count(ArticleVersion.id))))
    assert main(["prune", "--older-than", "365d", "--dry-run"]) == 0
    assert "would drop the bodies of 2 articles (2 versions)" in capsys.readouterr().out
    with db.sessions() as s:
        assert s.get(Article, ids["old"]).body == "맑음"
    assert main(["prune", "--older-than", "365d"]) == 0
    out = capsys.readouterr().out
    assert "dropped the bodies of 2 articles (2 versions)" in out and "kept 2" in out
    with db.sessions() as s:
        bodies = {k: s.get(Article, v).body for k, v in ids.items()}
        assert bodies["old"] is None and bodies["old_unmatched_row"] is None
        assert None not in (bodies["old_matched"], bodies["old_labelled"], bodies["young"], bodies["backfilled"])
        assert s.scalars(select(ArticleVersion.body).where(ArticleVersion.article_id == ids["old"])).one() is None
        after = (s.scalar(select(func.count(ArticleUrl.url_key))), s.scalar(select(func.count(Story.id))),
                 s.scalar(select(func.count(Match.id))), s.scalar(select(func.count(ArticleVersion.id))))
        assert after == before
        assert s.get(Article, ids["old"]).body_hash  # the hash stays: an unchanged page is not stored again
    assert main(["prune", "--older-than", "1y"]) == 0
    out = capsys.readouterr().out
    assert "dropped the bodies of 0 articles" in out and "2 were pruned before" in out


def test_prune_while_a_crawl_writes(db: Database, home: Path) -> None:
    """A writer inserting articles (short transactions) and a prune in small batches both finish."""
    for i in range(60):
        add_article(db, title=f"옛 기사 {i}", body="본문", first_seen_at=OLD, published_at=OLD)
    stop = threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def crawl() -> None:
        try:
            while not stop.is_set() and len(written) < 200:
                written.append(add_article(db, title="새 기사", body="새 본문").article_id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    writer = threading.Thread(target=crawl)
    writer.start()
    try:
        report = prune(db, timedelta(days=365), batch=7)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not errors, errors
    assert report.articles == 60 and report.versions == 60
    with db.sessions() as s:
        assert s.scalar(select(func.count(Article.id)).where(Article.id.in_(written), Article.body.is_(None))) == 0
        assert s.scalar(select(func.count(Article.id)).where(Article.body.is_(None))) == 60


@pytest.mark.parametrize(("age", "message"), [("365", "e.g. 365d"), ("10d", "at least 30 days"), ("-5d", "e.g. 365d")])
def test_bad_ages_are_refused(home: Path, age: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prune", f"--older-than={age}"]) == 2
    assert message in capsys.readouterr().err


def test_parse_age_units() -> None:
    assert parse_age("52w") == timedelta(days=364) and parse_age("1y") == timedelta(days=365)
