"""The whole flow against the bundled demo sites on 127.0.0.1: crawl -> extract -> normalize ->
dedupe -> match -> store -> alert, on SQLite and PostgreSQL, with a second idle run.
"""

from __future__ import annotations

import email
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from crawler.store.models import Alert, Article, Match, StoryOutlet
from tests.support.cli import FAST, cli_env, newswatch
from tests.support.sites import StartSites, log_length, requests_by_outlet


@contextmanager
def _session(db_url: str) -> Iterator[Session]:
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def test_full_cycle_then_idle_run(sites: StartSites, tmp_path: Path, home: Path, db_url: str) -> None:
    server = sites()
    env = cli_env(home, server.registry, NEWSWATCH_DB_URL=db_url)
    log = tmp_path / "requests.log"

    first = newswatch("crawl", "--all", *FAST, env=env)
    assert first.returncode == 0, first.stderr[-3000:]

    served = {server.article_url(a): a for a in server.articles if not a.robots_blocked}
    with _session(db_url) as s:
        stored = {a.url: a for a in s.scalars(select(Article))}
        assert set(stored) == set(served), "every served article stored once, nothing else"
        relevant = {m.article_id for m in s.scalars(select(Match).where(Match.relevant.is_(True)))}
        wrong = [(a.kind, a.title) for url, a in served.items()
                 if (stored[url].id in relevant) != a.expect_relevant]
        assert not wrong, f"matches disagree with the demo's ground truth: {wrong}"
        # the press release carried by three outlets is one story with three outlets
        syndicated = [a for a in served.values() if a.story]
        stories = {stored[server.article_url(a)].story_id for a in syndicated}
        assert len(stories) == len({a.story for a in syndicated})
        for story_id in stories:
            outlets = set(s.scalars(select(StoryOutlet.outlet_id).where(StoryOutlet.story_id == story_id)))
            assert len(outlets) == 3
        # old news is stored and matched but never queued for mail; each story at most once per recipient
        alerts = list(s.scalars(select(Alert)))
        alerted_stories = {a.story_id for a in alerts}
        assert len(alerts) == len({(a.recipient, a.story_id) for a in alerts})
        for url, a in served.items():
            art = stored[url]
            if a.expect_relevant and a.age_hours > 72:
                assert art.story_id not in alerted_stories or any(
                    b.expect_relevant and b.age_hours <= 72 and stored[server.article_url(b)].story_id == art.story_id
                    for b in served.values())
            if a.expect_relevant and a.age_hours <= 72:
                assert art.story_id in alerted_stories

    sent = newswatch("send", "--digest", env=env)
    assert sent.returncode == 0, sent.stderr
    mails = sorted((home / "outbox").glob("*.eml"))
    assert len(mails) == 1, "one mail per recipient per send"
    msg = email.message_from_bytes(mails[0].read_bytes(), policy=policy.default)
    assert msg["Subject"].startswith("[의료관광] 새 보도")
    assert f"새 보도 {len(alerted_stories)}건" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    with _session(db_url) as s:
        for story_id in alerted_stories:
            first_article = s.scalars(select(Article).where(Article.story_id == story_id).order_by(Article.id)).first()
            assert first_article is not None
        assert all(a.status == "sent" for a in s.scalars(select(Alert)))
    assert "개 매체 보도" in text or "개 매체 보도" in html

    # second run: only feeds (304) and nothing new; robots.txt comes from the store
    before = log_length(log)
    second = newswatch("crawl", "--all", *FAST, env=env)
    assert second.returncode == 0, second.stderr[-3000:]
    idle = requests_by_outlet(log, before)
    assert sum(idle.values()) / len(server.outlets) <= 1.2, idle
    with _session(db_url) as s:
        assert len(list(s.scalars(select(Article)))) == len(served)
    again = newswatch("send", "--digest", env=env)
    assert again.returncode == 0
    assert len(list((home / "outbox").glob("*.eml"))) == 1, "nothing is mailed twice"


def test_mail_goes_over_smtp_when_a_host_is_set(sites: StartSites, tmp_path: Path, home: Path) -> None:
    sites()
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self) -> None:
            self.messages: list[bytes] = []

        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
            self.messages.append(envelope.content)
            return "250 OK"

    import socket

    with socket.socket() as probe:  # aiosmtpd's controller needs a concrete port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = cli_env(home, tmp_path / "outlets.toml", NEWSWATCH_SMTP_HOST="127.0.0.1",
                      NEWSWATCH_SMTP_PORT=str(port), NEWSWATCH_SMTP_SECURITY="none")
        assert newswatch("crawl", "--all", *FAST, env=env).returncode == 0
        assert newswatch("send", "--digest", env=env).returncode == 0
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    msg = email.message_from_bytes(inbox.messages[0], policy=policy.default)
    assert msg["Subject"].startswith("[의료관광]")
    assert not list((home / "outbox").glob("*.eml")), "with SMTP set, nothing goes to the outbox"
