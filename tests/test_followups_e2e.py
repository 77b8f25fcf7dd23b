"""A story that gains an outlet after its mail, end to end: the crawl stores the third outlet's
copy into the story, nothing is mailed at once, the next digest shows only the new outlet.
"""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from pathlib import Path

from tests.support.cli import FAST, cli_env, newswatch
from tests.support.sites import StartSites


def _send(env: dict[str, str], home: Path, *args: str) -> list[EmailMessage]:
    before = set((home / "outbox").glob("*.eml")) if (home / "outbox").exists() else set()
    sent = newswatch("send", *args, env=env)
    assert sent.returncode == 0, sent.stderr[-3000:]
    new = sorted(set((home / "outbox").glob("*.eml")) - before)
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in new]  # type: ignore[misc]


def test_an_outlet_joining_a_mailed_story_is_shown_in_the_next_digest(sites: StartSites, tmp_path: Path, home: Path) -> None:
    server = sites()
    env = cli_env(home, server.registry)
    copies = [a for a in server.articles if a.story and a.expect_relevant and a.age_hours <= 24]
    assert copies, "the demo carries a young relevant press release in several outlets"
    story = copies[0].story
    carriers = sorted({a.outlet for a in server.articles if a.story == story})
    assert len(carriers) >= 3
    late = carriers[-1]
    names = {o.id: o.name for o in server.outlets}

    first = newswatch("crawl", *[o.id for o in server.outlets if o.id != late], *FAST, env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    [mail] = _send(env, home, "--digest")
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"{len(carriers) - 1}개 매체 보도" in text and names[late] not in text

    late_crawl = newswatch("crawl", late, *FAST, env=env)
    assert late_crawl.returncode == 0, late_crawl.stderr[-3000:]
    title = copies[0].title
    at_once = _send(env, home)  # the late outlet's own new stories may go at once; this one does not
    assert not any(title in m.get_body(("plain",)).get_content() for m in at_once), "never mailed at once"  # type: ignore[union-attr]
    [digest] = _send(env, home, "--digest")
    text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "추가 보도" in text
    assert f"1개 매체 추가 (총 {len(carriers)}개 매체 보도)" in text
    assert names[late] in text and not any(names[o] in text for o in carriers[:-1])
    assert _send(env, home, "--digest") == [], "shown once"
