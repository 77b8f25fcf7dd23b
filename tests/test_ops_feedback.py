"""Feedback: signed tokens, labels from mail and terminal, outlet mutes, labels as `watchlist test` input."""

from __future__ import annotations

import io
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from crawler.alert.mutes import is_muted
from crawler.alert.tokens import SignedFeedbackLinks, TokenError, make_token, verify_token
from crawler.commands.ops import main
from crawler.match import Matcher, load_watchlist
from crawler.match.evaluate import evaluate_jsonl
from crawler.ops.feedback import record_token
from crawler.store import Database
from crawler.store.models import Article, Label, OutletMute
from tests.support.ops import RECIPIENTS, WATCHLIST_V1, WL, add_article, write_watchlist

SECRET = b"s" * 32


@pytest.fixture
def wl_dir(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = home / "watchlists"
    path = write_watchlist(d, WATCHLIST_V1)
    (home / "recipients.toml").write_text(RECIPIENTS, encoding="utf-8")
    monkeypatch.setenv("NEWSWATCH_WATCHLISTS_DIR", str(d))
    monkeypatch.setenv("NEWSWATCH_RECIPIENTS_FILE", str(home / "recipients.toml"))
    monkeypatch.delenv("NEWSWATCH_SECRET", raising=False)
    return path


# --- tokens --------------------------------------------------------------------------------------

def test_token_round_trip() -> None:
    token = make_token("team@example.org", WL, 7, "irrelevant", secret=SECRET)
    payload = verify_token(token, secret=SECRET)
    assert (payload.recipient, payload.watchlist_id, payload.story_id, payload.verdict) == (
        "team@example.org", WL, 7, "irrelevant")


def test_forged_token_is_refused() -> None:
    token = make_token("team@example.org", WL, 7, "relevant", secret=b"x" * 32)
    with pytest.raises(TokenError, match="forged"):
        verify_token(token, secret=SECRET)


def test_tampered_payload_is_refused() -> None:
    token = make_token("team@example.org", WL, 7, "relevant", secret=SECRET)
    body, sig = token.split(".")
    other = make_token("team@example.org", WL, 8, "relevant", secret=SECRET).split(".")[0]
    with pytest.raises(TokenError, match="signature does not match"):
        verify_token(f"{other}.{sig}", secret=SECRET)
    with pytest.raises(TokenError, match="malformed"):
        verify_token(body, secret=SECRET)
    with pytest.raises(TokenError, match="malformed"):
        verify_token(f"{body}.서명", secret=SECRET)


def test_expired_token_is_refused() -> None:
    issued = datetime.now(UTC) - timedelta(days=31)
    token = make_token("team@example.org", WL, 7, "relevant", now=issued, secret=SECRET)
    with pytest.raises(TokenError, match="expired"):
        verify_token(token, secret=SECRET)


def test_secret_file_is_created_private_once(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSWATCH_SECRET", raising=False)
    token = make_token("team@example.org", WL, 1, "relevant")
    key = home / "secret.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert verify_token(token).story_id == 1  # the same secret is read back
    monkeypatch.setenv("NEWSWATCH_SECRET", "another-secret-of-enough-length")
    with pytest.raises(TokenError):
        verify_token(token)


def test_signed_links_carry_only_a_token(home: Path) -> None:
    links = SignedFeedbackLinks("https://watch.example.org/")
    url = links.url(recipient="team@example.org", watchlist_id=WL, story_id=3, relevant=False)
    parts = urlsplit(url)
    assert parts.path == "/feedback" and set(parse_qs(parts.query)) == {"t"}
    payload = verify_token(parse_qs(parts.query)["t"][0])
    assert (payload.story_id, payload.verdict) == (3, "irrelevant")
    mute_url = links.mute_url(recipient="team@example.org", watchlist_id=WL, story_id=3, outlet_id="busanmaru")
    assert verify_token(parse_qs(urlsplit(mute_url).query)["t"][0]).outlet_id == "busanmaru"


# --- labels and mutes ----------------------------------------------------------------------------

def test_mail_token_records_a_label_and_a_mute(db: Database, wl_dir: Path) -> None:
    stored = add_article(db, title="의료관광 팸투어", body="의료관광 팸투어", outlet="busanmaru", match=9.0)
    token = make_token("team@example.org", WL, stored.story_id, "mute-outlet", outlet_id="busanmaru")
    with db.session() as s:
        outcome = record_token(s, verify_token(token))
    assert outcome.muted == "busanmaru"
    with db.sessions() as s:
        label = s.scalars(select(Label)).one()
        assert (label.source, label.verdict, label.recipient) == ("mail", "mute-outlet", "team@example.org")
        assert is_muted(s, WL, "busanmaru") and not is_muted(s, WL, "incheonnuri")
        assert not is_muted(s, "other-watchlist", "busanmaru")


def test_label_command_and_export_feed_watchlist_test(db: Database, wl_dir: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    good = add_article(db, title="의료관광 설명회", body="의료관광 설명회가 열렸다.", match=9.0)
    bad = add_article(db, title="의료관광 아닌 기사", body="의료관광 단어만 스친 기사.", match=5.0)
    assert main(["label", "--watchlist", WL, "--story", str(good.story_id), "--relevant"]) == 0
    assert main(["label", "--watchlist", WL, "--story", str(bad.story_id), "--relevant"]) == 0
    # the newest label wins
    assert main(["label", "--watchlist", WL, "--story", str(bad.story_id), "--irrelevant",
                 "--mute-outlet", "incheonnuri", "--by", "kim@example.org"]) == 0
    assert "muted incheonnuri" in capsys.readouterr().out
    out = tmp_path / "labels.jsonl"
    assert main(["label", "--export", str(out)]) == 0
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert {x["id"]: x["label"] for x in lines} == {f"story-{good.story_id}": 1, f"story-{bad.story_id}": 0}
    assert all({"id", "title", "body", "label"} <= set(x) for x in lines)
    report = io.StringIO()
    with out.open(encoding="utf-8") as inp:
        evaluate_jsonl(Matcher(load_watchlist(wl_dir)), inp, report, io.StringIO())
    assert "precision" in report.getvalue().lower()
    with db.sessions() as s:
        assert s.get(OutletMute, (WL, "incheonnuri")).recipient == "kim@example.org"
    assert main(["label", "--watchlist", WL, "--unmute-outlet", "incheonnuri"]) == 0
    with db.sessions() as s:
        assert not is_muted(s, WL, "incheonnuri")


def test_label_for_a_pruned_article_is_stored_and_skipped_on_export(db: Database, wl_dir: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    stored = add_article(db, title="오래된 기사", body=None)
    assert main(["label", "--watchlist", WL, "--story", str(stored.story_id), "--relevant"]) == 0
    assert "pruned" in capsys.readouterr().err
    with db.sessions() as s:
        assert s.scalars(select(Label.article_id)).one() == stored.article_id
        assert s.get(Article, stored.article_id).body is None
    out = tmp_path / "labels.jsonl"
    assert main(["label", "--export", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == ""
    assert "skipped 1 whose text was pruned" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["label", "--watchlist", WL, "--story", "999", "--relevant"], "no story 999"),
    (["label", "--watchlist", "nope", "--story", "1", "--relevant"], "no watchlist 'nope'"),
    (["label", "--watchlist", WL, "--story", "1"], "--relevant or --irrelevant"),
    (["label", "--export", "x.jsonl", "--story", "1"], "give it alone"),
])
def test_bad_label_input(db: Database, wl_dir: Path, argv: list[str], message: str,
                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    with db.sessions() as s:
        assert s.scalars(select(Label)).first() is None


def test_mute_of_an_unknown_outlet_is_refused(db: Database, wl_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stored = add_article(db, title="의료관광", body="의료관광", match=9.0)
    assert main(["label", "--watchlist", WL, "--story", str(stored.story_id), "--mute-outlet", "nosuch"]) == 2
    assert "no stored article comes from outlet 'nosuch'" in capsys.readouterr().err


def test_digest_mail_carries_verifiable_signed_links(home: Path) -> None:
    """Wiring check: an Envelope with SignedFeedbackLinks puts tokens (and nothing else) in the mail."""
    import re

    from crawler.alert.compose import Envelope, StoryView, render_digest
    from crawler.alert.recipients import Recipient

    now = datetime.now(UTC)
    team = Recipient(address="team@example.org", name="의료관광팀", watchlists=(WL,))
    story = StoryView(story_id=42, title="의료관광 팸투어", url="https://incheonnuri.example.kr/1",
                      outlets=[("인천누리", "https://incheonnuri.example.kr/1", now)], published_at=now, score=9.0,
                      terms=["의료관광"], snippet_title="의료관광 팸투어", snippet_body="", watchlist_id=WL,
                      mute_outlet=("incheonnuri", "인천누리"))
    envelope = Envelope(feedback=SignedFeedbackLinks("https://watch.example.org"))
    _subject, _html, text = render_digest(team, [story], {WL: "의료관광"}, now, envelope)
    assert "이 매체 제외 (인천누리)" in text
    urls = re.findall(r"https://watch\.example\.org/feedback\?t=\S+", text)
    payloads = [verify_token(parse_qs(urlsplit(u).query)["t"][0]) for u in urls]
    assert sorted(p.verdict for p in payloads) == ["irrelevant", "mute-outlet", "relevant"]
    assert {p.outlet_id for p in payloads if p.verdict == "mute-outlet"} == {"incheonnuri"}
    assert "team%40example.org" not in text and "r=" not in "".join(urls)


def test_a_story_marked_irrelevant_is_never_mailed_again(db: Database, wl_dir: Path) -> None:
    """관련 없음 removes what waits in the outbox and stops later alerts (a revision) for that person only."""
    from crawler.alert.plan import AlertPlan, enqueue
    from crawler.ops.feedback import record_label
    from crawler.store.models import Alert

    stored = add_article(db, title="의료관광 팸투어", body="의료관광", match=9.0)
    due = datetime.now(UTC) + timedelta(hours=2)
    plans = [AlertPlan("team@example.org", "digest", due, "email"), AlertPlan("district@example.org", "digest", due, "email")]

    def write(revision: int) -> int:
        from crawler.store.models import Match

        with db.session() as s:
            match_id = s.scalars(select(Match.id).where(Match.article_id == stored.article_id)).one()
            return enqueue(s, plans, story_id=stored.story_id, article_id=stored.article_id, match_id=match_id,
                           watchlist_id=WL, revision=revision)

    def pending() -> list[str]:
        with db.session() as s:
            return sorted(s.scalars(select(Alert.recipient).where(Alert.status == "pending")))

    assert write(1) == 2
    with db.session() as s:
        record_label(s, watchlist_id=WL, story_id=stored.story_id, verdict="irrelevant",
                     recipient="team@example.org", source="mail")
    assert pending() == ["district@example.org"]
    assert write(2) == 1  # the edited story still reaches the other recipient, not the one who said no
    assert pending() == ["district@example.org", "district@example.org"]
    with db.session() as s:  # a changed mind: 관련 있음 lets the next alert through again
        record_label(s, watchlist_id=WL, story_id=stored.story_id, verdict="relevant",
                     recipient="team@example.org", source="mail")
    assert write(3) == 2
