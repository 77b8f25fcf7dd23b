"""The command line as users run it: JSON-lines tools, extract, plain Scrapy from the repo root,
argument errors with the fix, and a hanging outlet that times out without holding up the others."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from crawler.store.models import Article
from tests.support.cli import FAST, cli_env, newswatch
from tests.support.env import ROOT
from tests.support.sites import StartSites


def _run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=180,
                          check=False)


def _articles(home: Path) -> list[Article]:
    engine = create_engine(f"sqlite:///{home / 'newswatch.db'}")
    with Session(engine) as s:
        rows = list(s.scalars(select(Article)))
    engine.dispose()
    return rows


def test_classify_jsonl_contract(home: Path) -> None:
    lines = [
        {"id": "a", "title": "인천시, 러시아어권 의료 코디네이터 초청 의료관광 팸투어", "body": "외국인 환자 유치를 위해 병원 9곳을 소개했다.", "extra": 1},
        "not json",
        {"id": "b", "title": "송도 벚꽃축제 개막", "body": "가족 단위 관광객으로 붐볐다."},
        {"title": "no id"},
    ]
    stdin = "\n".join(json.dumps(x, ensure_ascii=False) if isinstance(x, dict) else x for x in lines) + "\n"
    r = newswatch_stdin(["classify", "--watchlist", "medical-tourism", "-"], stdin, home)
    assert r.returncode == 1, "a bad line makes the exit status 1"
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b"]
    assert out[0]["relevant"] is True and isinstance(out[0]["score"], float) and "의료관광" in out[0]["matched"]
    assert out[1]["relevant"] is False and out[1]["score"] < out[0]["score"]
    errors = [json.loads(x) for x in r.stderr.splitlines()]
    assert [e["line"] for e in errors] == [2, 4]


def newswatch_stdin(args: list[str], stdin: str, home: Path) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "crawler.cli", *args], cli_env(home), stdin)


def test_classify_unknown_watchlist(home: Path) -> None:
    r = newswatch("classify", "--watchlist", "golf", "-", env=cli_env(home))
    assert r.returncode == 2 and "no watchlist 'golf'" in r.stderr and "NEWSWATCH_WATCHLISTS_DIR" in r.stderr


def test_cluster_jsonl(home: Path) -> None:
    body = ("영등포구는 몽골 울란바토르에서 열린 서울 의료관광 설명회에 참가해 지역 병원 세 곳이 현지 환자와 "
            "일대일 상담을 진행했다고 밝혔다. 구는 스마트 메디컬 특구 홍보관을 운영하며 몽골어 안내서를 배포했다. "
            "참가 병원들은 현지 바이어와 만나 환자 송출 협력 방안을 논의했고, 구는 내년에도 중앙아시아 설명회에 "
            "참가해 지역 의료기관의 해외 환자 유치를 지원할 계획이라고 덧붙였다.")
    lines = [{"id": 1, "outlet": "a", "title": "영등포구, 몽골 의료관광 설명회 참가", "body": body},
             {"id": 2, "outlet": "b", "title": "영등포구 병원들 몽골 환자 상담", "body": body},
             {"id": 3, "outlet": "c", "title": "부평 풍물축제 개막", "body": "부평구 풍물축제가 주말 개막해 시민 수만 명이 찾았다. " * 4}]
    r = newswatch_stdin(["cluster", "-"], "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", home)
    assert r.returncode == 0, r.stderr
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["id"] for o in out] == [1, 2, 3]
    assert out[0]["story"] == out[1]["story"] != out[2]["story"]


def test_extract_prints_the_design_fields(sites: StartSites, tmp_path: Path, home: Path) -> None:
    server = sites()
    article = next(a for a in server.articles if a.kind == "reference2")
    import urllib.request

    url = server.article_url(article)
    (tmp_path / "page.html").write_bytes(urllib.request.urlopen(url).read())
    r = newswatch("extract", "--url", url, str(tmp_path / "page.html"), env=cli_env(home))
    assert r.returncode == 0, r.stderr
    fields = json.loads(r.stdout)
    assert set(fields) == {"title", "subtitle", "authors", "author", "published_at", "modified_at", "section", "body"}
    assert fields["title"] == article.title
    assert fields["published_at"].startswith(article.published_at.strftime("%Y-%m-%dT%H:%M"))
    assert fields["author"] == ", ".join(fields["authors"]) and fields["authors"]
    assert "무단전재" not in fields["body"] and "가장 많이 본" not in fields["body"]


def test_plain_scrapy_from_the_repo_root(sites: StartSites, tmp_path: Path, home: Path) -> None:
    server = sites()
    registry = server.registry
    env = cli_env(home, registry)
    listed = _run([sys.executable, "-m", "scrapy", "list"], env)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert set(listed.stdout.split()) == {o.id for o in server.outlets}
    crawled = _run([sys.executable, "-m", "scrapy", "crawl", "ydpharu", *FAST], env)
    assert crawled.returncode == 0, crawled.stderr[-2000:]
    expected = {server.article_url(a) for a in server.articles if a.outlet == "ydpharu"}
    assert {a.url for a in _articles(home)} == expected


def test_since_must_be_a_plausible_past_date(home: Path) -> None:
    for value, message in [("2099-01-01", "in the future"), ("1999-12-31", "before 2000"), ("yesterday", "YYYY-MM-DD")]:
        r = newswatch("crawl", "--all", "--since", value, env=cli_env(home))
        assert r.returncode == 2 and message in r.stderr


def test_a_bad_worker_count_stops_the_crawl_before_anything_is_fetched(home: Path) -> None:
    for value in ("many", "-1", "1.5"):
        r = newswatch("crawl", "--all", env=cli_env(home, NEWSWATCH_CPU_WORKERS=value))
        assert r.returncode == 2 and f"NEWSWATCH_CPU_WORKERS={value!r}" in r.stderr and "whole number" in r.stderr
        assert not (home / "newswatch.db").exists()
    # the scale-out worker checks it too, before it takes anything from the queue
    r = newswatch("worker", env=cli_env(home, NEWSWATCH_CPU_WORKERS="many",
                                        NEWSWATCH_REDIS_URL="redis://127.0.0.1:1/0"))
    assert r.returncode == 2 and "NEWSWATCH_CPU_WORKERS='many'" in r.stderr


def test_the_worker_count_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from crawler.crawl.cpu import workers_from_env

    monkeypatch.delenv("NEWSWATCH_CPU_WORKERS", raising=False)
    assert workers_from_env() is None  # the default: the other cores
    monkeypatch.setenv("NEWSWATCH_CPU_WORKERS", " 0 ")
    assert workers_from_env() == 0


def test_a_hanging_outlet_times_out_and_the_other_is_crawled(sites: StartSites, tmp_path: Path, home: Path) -> None:
    server = sites(faults={"busanmaru": "hang"})
    registry = server.registry
    r = newswatch("crawl", "busanmaru", "ydpharu", *FAST, "-s", "DOWNLOAD_TIMEOUT=2", "-s", "RETRY_TIMES=0",
                  env=cli_env(home, registry))
    expected = {server.article_url(a) for a in server.articles if a.outlet == "ydpharu"}
    assert r.returncode == 1
    assert "outlet busanmaru:" in r.stderr and "timeout" in r.stderr.lower()
    assert {a.url for a in _articles(home)} == expected


def test_outlets_check_through_the_cli(sites: StartSites, tmp_path: Path, home: Path) -> None:
    server = sites(faults={"busanmaru": "500"})
    registry = server.registry
    r = newswatch("outlets", "check", "ydpharu", "busanmaru", "--write", env=cli_env(home, registry))
    assert "ydpharu" in r.stdout and "busanmaru" in r.stdout
    assert r.returncode != 0, "a broken outlet makes the check fail"
    text = registry.read_text(encoding="utf-8")
    entry = text[text.index('id = "ydpharu"'):]
    assert "verified = true" in entry.split("[[outlet]]")[0]
    broken = text[text.index('id = "busanmaru"'):].split("[[outlet]]")[0]
    assert "verified = true" not in broken
