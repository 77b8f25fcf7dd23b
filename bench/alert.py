"""Alert benchmark: a digest of 200 stories to 50 recipients through a local SMTP server.

A fresh SQLite store under `$NEWSWATCH_HOME/bench/alert-run/` gets 200 stories (one to three
outlets each, a matched article with a highlighted snippet) and one pending digest alert per
story and recipient (10,000 alerts), written with ORM-free bulk inserts. The timed part is one
`crawler.alert.sender.drain(digest=True)`: claiming, composing (Jinja2, HTML and text parts) and
sending 50 mails over SMTP to an aiosmtpd server on 127.0.0.1, and marking the alerts sent.
"""

from __future__ import annotations

import multiprocessing
import shutil
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler import paths

STORIES, RECIPIENTS = 200, 50
WATCHLIST = "medical-tourism"
TARGETS = {"alert.digest_200x50_s": "≤ 10"}
_OUTLETS = ("incheonilbo", "yna", "news1", "newsis", "kookje", "busanilbo", "jejuilbo", "gwnews")


class _Counter:
    """An aiosmtpd handler that only counts accepted messages (in shared memory)."""

    def __init__(self, count: Any) -> None:
        self.count = count

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.count.get_lock():
            self.count.value += 1
        return "250 OK queued"


def _serve(port: int, count: Any, ready: Any, stop: Any) -> None:
    """The SMTP server, in its own process as a real relay would be (it must not share our GIL)."""
    from aiosmtpd.controller import Controller

    controller = Controller(_Counter(count), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _populate(db: Any, now: datetime) -> None:
    """200 stories with their outlets, articles and matches; a pending alert per story and recipient."""
    from sqlalchemy import insert

    from crawler.store.models import Alert, Article, Match, Story, StoryOutlet

    stories, articles, outlets, matches, alerts = [], [], [], [], []
    for n in range(1, STORIES + 1):
        when = now - timedelta(minutes=5 * n)
        title = f"{n}번째 기사: 지역 병원 {n % 17 + 2}곳 참여 의료관광 설명회…외국인 환자 {n * 37}명 상담"
        stories.append({"id": n, "title": title, "signature": b"", "published_at": when,
                        "first_seen_at": when, "updated_at": when})  # fmt: skip
        carriers = _OUTLETS[n % 6 : n % 6 + 1 + n % 3]
        for k, outlet in enumerate(carriers):
            aid = n * 10 + k
            url = f"https://www.{outlet}.example/news/articleView.html?idxno={aid}"
            articles.append({"id": aid, "outlet_id": outlet, "url": url, "url_key": f"{outlet}|{aid}",
                             "canonical_url": url, "title": title, "body": "본문", "body_hash": f"h{aid}",
                             "family": "ndsoft", "published_at": when, "story_id": n, "authors": [],
                             "version": 1, "fallback": False, "first_seen_at": when, "fetched_at": when})  # fmt: skip
            outlets.append({"story_id": n, "outlet_id": outlet, "article_id": aid,
                            "first_seen_at": when + timedelta(minutes=k)})  # fmt: skip
        snippet = (f"부산 서구는 \x02의료관광\x03 특구 병원 {n % 9 + 1}곳과 함께 몽골 울란바토르에서 "
                   f"\x02의료관광\x03 설명회를 열고 현지 환자 {n * 3}명과 상담했다.")  # fmt: skip
        matches.append({"id": n, "article_id": n * 10, "watchlist_id": WATCHLIST, "article_version": 1,
                        "score": 10.0 + n % 7, "relevant": True, "rule": "core-term",
                        "terms": ["의료관광", "설명회"], "explanation": {}, "snippet_title": "",
                        "snippet_body": snippet, "matched_at": when})  # fmt: skip
        for r in range(RECIPIENTS):
            alerts.append({"recipient": f"team{r}@city.example", "watchlist_id": WATCHLIST, "story_id": n,
                           "revision": 1, "article_id": n * 10, "match_id": n, "channel": "email",
                           "mode": "digest", "status": "pending", "due_at": now + timedelta(hours=6),
                           "created_at": when, "attempts": 0})  # fmt: skip
    with db.session() as s:
        for model, rows in ((Story, stories), (Article, articles), (StoryOutlet, outlets),
                            (Match, matches), (Alert, alerts)):  # fmt: skip
            s.execute(insert(model), rows)


def _recipients() -> Any:
    from crawler.alert.recipients import Recipients

    return Recipients.model_validate({
        "recipient": [{"address": f"team{r}@city.example", "name": f"관광팀 {r}", "watchlists": [WATCHLIST],
                       "mode": "digest", "digest_times": ["08:30"]} for r in range(RECIPIENTS)],
        "maintainer": [{"address": "ops@city.example", "name": "운영 담당"}],
    })  # fmt: skip


def run() -> dict[str, Any]:
    from crawler.alert.sender import drain
    from crawler.alert.transport import SmtpSettings, SmtpTransport
    from crawler.store.db import Database

    work = paths.bench_dir() / "alert-run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = Database.open(f"sqlite:///{work / 'newswatch.db'}")
    now = datetime.now(UTC)
    t0 = time.monotonic()
    _populate(db, now)
    populate_s = time.monotonic() - t0
    port = _free_port()
    ctx = multiprocessing.get_context("spawn")
    count, ready, stop = ctx.Value("i", 0), ctx.Event(), ctx.Event()
    server = ctx.Process(target=_serve, args=(port, count, ready, stop), daemon=True)
    server.start()
    try:
        if not ready.wait(30):
            raise RuntimeError("the benchmark SMTP server did not start")
        transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=port, security="none",
                                               from_address="newswatch@city.example", timeout=10))  # fmt: skip
        t0, cpu0 = time.monotonic(), time.process_time()
        report = drain(db, now=now, digest=True, transport=transport, recipients=_recipients(),
                       base_url_for_links="https://news.city.example")  # fmt: skip
        wall, cpu = time.monotonic() - t0, time.process_time() - cpu0
    finally:
        stop.set()
        server.join(10)
        db.close()
    assert report.mails_sent == RECIPIENTS == count.value, (report.render(), count.value)
    assert report.alerts_sent == STORIES * RECIPIENTS, report.render()
    return {
        "alert.digest_200x50_s": round(wall, 2),
        "alert.ms_per_mail": round(1000 * wall / RECIPIENTS, 1),
        "alert.digest_200x50_cpu_s": round(cpu, 2),  # this process only: the SMTP server is another
        "alert.mails_sent": report.mails_sent,
        "alert.alerts_sent": report.alerts_sent,
        "alert.populate_s": round(populate_s, 2),
    }
