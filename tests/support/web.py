"""Dashboard fixtures: a test home, a few stories, runs and labels in the store, and a direct WSGI call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

from crawler.store.models import Label
from tests.support.monitor import add_run, write_registry
from tests.support.stories import WATCHLIST, add_story

TITLE_A = "인천시, 러시아 의료관광 팸투어 개최"
TITLE_B = "경북 의료관광 설명회 열려"
HOSTILE_TITLE = "<script>alert('x')</script> 의료관광 & 팸투어"


def setup_home(home: Path, monkeypatch: Any) -> None:
    """A two-outlet registry and an empty watchlist directory for the test home."""
    monkeypatch.setenv("NEWSWATCH_OUTLETS_FILE", str(write_registry(home)))
    wl = home / "watchlists"
    wl.mkdir(exist_ok=True)
    monkeypatch.setenv("NEWSWATCH_WATCHLISTS_DIR", str(wl))
    monkeypatch.setenv("NEWSWATCH_SECRET", "web-test-secret-0123456789abcdef")


def seed(db: Any, now: datetime) -> dict[str, int]:
    """Three matched stories (one hostile), a week of runs for both outlets, a label on story A."""
    with db.session() as s:
        a = add_story(s, TITLE_A, outlets=("incheonilbo", "kbmaeil"), published_at=now - timedelta(hours=3))
        b = add_story(s, TITLE_B, outlets=("kbmaeil",), score=9.0, terms=("의료관광",),
                      published_at=now - timedelta(hours=5), snippet_body="경북도는 \x02의료관광\x03 설명회를 열었다.")
        h = add_story(s, HOSTILE_TITLE, outlets=("incheonilbo",), watchlist="other-list",
                      published_at=now - timedelta(hours=1),
                      snippet_body="<img src=x onerror=alert(1)> \x02의료관광\x03 </mark><script>x</script>")
        for day in range(7):
            for k, outlet in enumerate(("incheonilbo", "kbmaeil")):
                add_run(s, outlet, now - timedelta(days=day, hours=1 + k), new=2 + day + 3 * k)
        s.add(Label(watchlist_id=WATCHLIST, story_id=a.story.id, article_id=a.article.id, verdict="relevant",
                    recipient="team@example.org", source="mail", created_at=now - timedelta(minutes=30)))
        return {"a": a.story.id, "b": b.story.id, "hostile": h.story.id}


def environ(path: str = "/", query: str = "", method: str = "GET") -> dict[str, Any]:
    env: dict[str, Any] = {"PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": method}
    setup_testing_defaults(env)
    return env


def call(app: Any, path: str = "/", query: str = "", method: str = "GET") -> tuple[int, dict[str, str], str]:
    """Call the WSGI app directly: (status code, headers, body text)."""
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    env = environ(path, query, method)
    body = b"".join(app(env, start_response)).decode("utf-8")
    if seen["status"].startswith("5"):
        print(env["wsgi.errors"].getvalue())  # the traceback, shown by pytest on failure
    return int(seen["status"].split()[0]), seen["headers"], body


def now_utc() -> datetime:
    return datetime.now(UTC)
