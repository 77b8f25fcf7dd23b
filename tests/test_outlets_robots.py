"""`newswatch outlets check` decides robots.txt exactly as the crawl does, and `--write` edits the
registry through a round-trip TOML library (issue 22, item 8)."""

from __future__ import annotations

import tomllib
import urllib.robotparser

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler

from crawler.crawl.check import CheckResult, RobotsRules, mark_verified
from crawler.crawl.project import project_settings

ROBOTS = b"""# written for this test
User-agent: *
Disallow: /*.php$
Disallow: /*?print=
Disallow: /search
Allow: /news/*.php$
Disallow: /admin/

User-agent: badbot
Disallow: /
"""
BASE = "https://www.gaon-ilbo.kr"
URLS = [
    "/news/articleView.html?idxno=1",
    "/view.php",  # `$`: the path ends in .php
    "/view.php?idx=3",  # … not with a query after it
    "/news/view.php",  # the longer Allow wins
    "/news/view.php?idx=3",
    "/article/460?print=1",  # wildcard before the query
    "/article/460?page=1&print=1",
    "/search?q=의료관광",
    "/searching",
    "/admin/",
    "/ADMIN/",
    "/article/460",
]


def _crawl_decides(body: bytes, url: str) -> bool:
    """What the crawl's robots middleware does with a request (Scrapy's own code and settings)."""
    from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
    from scrapy.utils.misc import build_from_crawler

    settings = project_settings()
    crawler = get_crawler(Spider, settings_dict={k: settings[k] for k in
                                                 ("ROBOTSTXT_OBEY", "ROBOTSTXT_PARSER", "USER_AGENT",
                                                  "ROBOTSTXT_USER_AGENT")})
    middleware = RobotsTxtMiddleware(crawler)
    parser = build_from_crawler(middleware._parserimpl, crawler, body)
    request = Request(url, headers={"User-Agent": settings["USER_AGENT"]})
    try:
        middleware.process_request_2(parser, request)
    except IgnoreRequest:
        return False
    return True


@pytest.mark.parametrize("path", URLS)
def test_check_decides_as_the_crawl(path: str) -> None:
    url = BASE + path
    assert RobotsRules(ROBOTS).allowed(url) is _crawl_decides(ROBOTS, url)


def test_the_rules_mean_what_a_site_owner_meant() -> None:
    rules = RobotsRules(ROBOTS)
    decided = {path: rules.allowed(BASE + path) for path in URLS}
    assert decided["/view.php"] is False and decided["/view.php?idx=3"] is True
    assert decided["/news/view.php"] is True
    assert decided["/article/460?print=1"] is False and decided["/article/460"] is True
    assert decided["/article/460?page=1&print=1"] is True  # the rule says "?print=", not "print="
    assert decided["/search?q=의료관광"] is False and decided["/admin/"] is False


def test_urllib_would_have_decided_otherwise() -> None:
    """Why the check no longer uses urllib's robotparser: no wildcards, no `$`."""
    old = urllib.robotparser.RobotFileParser()
    old.parse(ROBOTS.decode().splitlines())
    rules = RobotsRules(ROBOTS)
    differ = [p for p in URLS if old.can_fetch(rules.user_agent, BASE + p) != rules.allowed(BASE + p)]
    assert "/view.php" in differ and "/article/460?print=1" in differ


def test_the_crawlers_own_user_agent_is_asked() -> None:
    rules = RobotsRules(b"User-agent: newswatch\nDisallow: /private/\n")
    assert rules.user_agent.startswith("newswatch/")
    assert not rules.allowed(BASE + "/private/a") and rules.allowed(BASE + "/news/a")


REGISTRY = """# 가온 지역 신문 (this comment stays)

[[outlet]]
id = "gaonilbo"   # the domain's slug
name = "가온일보"
region = "세종"
home = "https://www.gaon-ilbo.kr/"
family = 'generic'            # literal string kept
lists = [
  "https://www.gaon-ilbo.kr/section/society",  # 사회
]
evidence = [{url = "https://www.gaon-ilbo.kr/article/460", seen = "2025-05"}]
verified = false              # not yet seen working

[outlet.health]
min_new_per_day = 1

[[outlet]]
id = "gaonnews"
name = "가온뉴스"
region = "세종"
home = "https://gaon-news.kr/"
"""


def test_write_keeps_comments_order_quoting_and_inline_tables() -> None:
    out = mark_verified(REGISTRY, CheckResult("gaonilbo", found_feeds=["https://www.gaon-ilbo.kr/rss.xml"]))
    assert out.replace("verified = true", "verified = false").replace(
        'feeds = ["https://www.gaon-ilbo.kr/rss.xml"]\n', "") == REGISTRY
    assert "family = 'generic'            # literal string kept\nfeeds = [" in out
    data = tomllib.loads(out)["outlet"]
    assert data[0]["verified"] is True and data[0]["health"] == {"min_new_per_day": 1}
    assert "verified" not in data[1]


def test_write_touches_only_the_working_entry_even_with_lookalike_text() -> None:
    tricky = REGISTRY.replace('name = "가온뉴스"', 'name = "가온뉴스"\n# id = "gaonilbo" in a comment\nnote = """\nid = "gaonilbo"\n"""')
    out = mark_verified(tricky, CheckResult("gaonnews"))
    assert tomllib.loads(out)["outlet"][1]["verified"] is True
    assert tomllib.loads(out)["outlet"][0]["verified"] is False
    assert out.count("verified = true") == 1 and 'note = """\nid = "gaonilbo"\n"""' in out


def test_an_unknown_outlet_leaves_the_text_alone() -> None:
    assert mark_verified(REGISTRY, CheckResult("nosuch")) == REGISTRY
