"""`newswatch rematch`: flips shown, match rows updated in place, alerts only for new, young, unalerted stories."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.alert.mutes import mute
from crawler.commands.ops import main
from crawler.store import Database
from crawler.store.models import Alert, Match
from tests.support.ops import (
    BROKEN,
    RECIPIENTS,
    WATCHLIST_V1,
    WATCHLIST_V2,
    WL,
    add_article,
    write_watchlist,
)

NOW = datetime.now(UTC)


@pytest.fixture
def wl_dir(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = home / "watchlists"
    write_watchlist(d, WATCHLIST_V1)
    rec = home / "recipients.toml"
    rec.write_text(RECIPIENTS, encoding="utf-8")
    monkeypatch.setenv("NEWSWATCH_WATCHLISTS_DIR", str(d))
    monkeypatch.setenv("NEWSWATCH_RECIPIENTS_FILE", str(rec))
    monkeypatch.delenv("NEWSWATCH_ALERT_MAX_AGE_HOURS", raising=False)
    return d


def _seed(db: Database) -> dict[str, int]:
    """Articles as watchlist v1 left them; v2 matches 팸투어 instead of 의료관광."""
    recent = NOW - timedelta(hours=2)
    ids: dict[str, int] = {}
    a1 = add_article(db, title="인천 의료관광 박람회 개막", body="인천시가 의료관광 박람회를 열었다.",
                     published_at=recent, match=9.0)
    ids["stops"], ids["stops_story"] = a1.article_id, a1.story_id
    a2 = add_article(db, title="해외 코디네이터 팸투어", body="코디네이터 20명이 팸투어에 참가했다.", published_at=recent)
    ids["starts"], ids["starts_story"] = a2.article_id, a2.story_id
    a3 = add_article(db, title="지난달 팸투어 결산", body="팸투어 결산 보고.", published_at=NOW - timedelta(days=10),
                     first_seen_at=NOW - timedelta(days=10))
    ids["old"] = a3.article_id
    a4 = add_article(db, title="팸투어 둘째 날", body="팸투어 둘째 날 일정.", published_at=recent,
                     outlet="busanmaru", story_id=a2.story_id)
    ids["same_story"] = a4.article_id
    a6 = add_article(db, title="팸투어 예고", body="다음 주 팸투어가 열린다.", published_at=recent, match=0.0,
                     relevant=False)
    ids["alerted_story"] = a6.story_id
    a7 = add_article(db, title="팸투어 소식", body="팸투어 소식입니다.", published_at=recent, outlet="ydpharu")
    ids["muted"] = a7.article_id
    a8 = add_article(db, title="팸투어 옛 기사", body=None, published_at=recent)
    ids["pruned"] = a8.article_id
    with db.session() as s:
        m6 = s.scalars(select(Match).where(Match.article_id == a6.article_id)).one()
        s.add(Alert(recipient="team@example.org", watchlist_id=WL, story_id=a6.story_id, revision=1,
                    article_id=a6.article_id, match_id=m6.id, status="sent", due_at=NOW))
        mute(s, WL, "ydpharu", recipient="team@example.org")
    return ids


def _counts(db: Database) -> tuple[int, int, list[tuple[float, bool]]]:
    with db.sessions() as s:
        matches = s.execute(select(Match.score, Match.relevant).order_by(Match.id)).all()
        return (s.scalar(select(func.count(Match.id))) or 0, s.scalar(select(func.count(Alert.id))) or 0,
                [tuple(m) for m in matches])


def test_rematch_dry_run_shows_flips_and_changes_nothing(db: Database, wl_dir: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    _seed(db)
    write_watchlist(wl_dir, WATCHLIST_V2)
    before = _counts(db)
    assert main(["rematch", "--watchlist", WL, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "starts" in out and "stops" in out and "dry run" in out
    assert "1 stop" in out and "5 start matching" in out
    assert "1 articles skipped (body pruned)" in out
    assert _counts(db) == before


def test_rematch_records_in_place_and_alerts_only_new_young_unalerted(db: Database, wl_dir: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    ids = _seed(db)
    write_watchlist(wl_dir, WATCHLIST_V2)
    assert main(["rematch", "--watchlist", WL]) == 0
    out = capsys.readouterr().out
    assert "1 alerts enqueued" in out
    with db.sessions() as s:
        stopped = s.scalars(select(Match).where(Match.article_id == ids["stops"])).one()
        assert stopped.relevant is False
        assert stopped.explanation["rematch"]["previous"]["score"] == 9.0
        started = s.scalars(select(Match).where(Match.article_id == ids["starts"])).one()
        assert started.relevant is True and started.explanation["rematch"]["previous"] is None
        assert s.scalars(select(Match).where(Match.article_id == ids["pruned"])).first() is None
        alerts = s.scalars(select(Alert).where(Alert.status == "pending")).all()
        assert [(a.story_id, a.article_id) for a in alerts] == [(ids["starts_story"], ids["starts"])]
        # the old article, the muted outlet and the already-alerted story made no alert
        assert s.scalar(select(func.count(Alert.id)).where(Alert.story_id == ids["alerted_story"])) == 1
    assert "outlet muted" in out and "story already alerted" in out
    # a second run changes nothing and mails nothing
    assert main(["rematch", "--watchlist", WL]) == 0
    out = capsys.readouterr().out
    assert "0 start matching" in out and "0 alerts enqueued" in out


def test_rematch_quiet_stores_without_alerts(db: Database, wl_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _seed(db)
    write_watchlist(wl_dir, WATCHLIST_V2)
    assert main(["rematch", "--watchlist", WL, "--quiet"]) == 0
    assert "quiet: no alerts" in capsys.readouterr().out
    with db.sessions() as s:
        assert s.scalars(select(Match.relevant).where(Match.article_id == ids["starts"])).one() is True
        assert s.scalar(select(func.count(Alert.id)).where(Alert.status == "pending")) == 0


def test_rematch_since_limits_the_articles(db: Database, wl_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _seed(db)
    write_watchlist(wl_dir, WATCHLIST_V2)
    since = (NOW - timedelta(days=3)).date().isoformat()
    assert main(["rematch", "--watchlist", WL, "--since", since, "--quiet"]) == 0
    assert "5 articles matched again" in capsys.readouterr().out
    with db.sessions() as s:
        assert s.scalars(select(Match).where(Match.article_id == ids["old"])).first() is None


def test_broken_watchlist_stops_before_anything_changes(db: Database, wl_dir: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    _seed(db)
    write_watchlist(wl_dir, BROKEN)
    before = _counts(db)
    assert main(["rematch", "--watchlist", WL]) == 2
    err = capsys.readouterr().err
    assert "newswatch rematch:" in err and "threshold" in err
    assert _counts(db) == before


def test_unknown_watchlist_is_a_clear_error(db: Database, wl_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rematch", "--watchlist", "no-such"]) == 2
    assert "no watchlist 'no-such'" in capsys.readouterr().err


@pytest.mark.parametrize("since", ["1999-12-31", (date.today() + timedelta(days=3)).isoformat(), "2024-13-01"])
def test_since_out_of_range_is_refused(wl_dir: Path, since: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["rematch", "--watchlist", WL, "--since", since])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert any(word in err for word in ("before 2000", "in the future", "not a date"))
