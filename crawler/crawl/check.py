"""`newswatch outlets check [OUTLET…] [--write]`: probe outlets the way a crawl would, once.

Per outlet: robots.txt (rules and `Sitemap:` lines), the feed (the registry's, the family's
default, or one the home page announces), sitemaps when there is no working feed, the first
list page, and one article extracted with the outlet's family. Plain urllib with timeouts and
the crawler's User-Agent; one outlet at a time, a handful of requests each.

An outlet *works* when an article was reached through a feed, sitemap or list and extracted
with a title, a body and a date. `--write` marks working entries `verified = true` in the
registry file and adds the feeds/sitemaps discovery found to entries that had none, through a
round-trip TOML library (comments and order kept). robots.txt is decided as the crawl decides it
(`RobotsRules`: the same parser, Protego, and the same User-Agent).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import tomlkit
from rich.console import Console
from rich.table import Table
from scrapy.utils.misc import load_object

from crawler import paths
from crawler.crawl.project import project_settings
from crawler.extract.discovery import (
    Entry,
    NotAFeed,
    NotASitemap,
    autodiscover_feeds,
    parse_feed,
    parse_sitemap,
)
from crawler.families import extract
from crawler.registry import Outlet, load_registry
from settings import USER_AGENT
from spiders.navigators import Navigator, navigator_for

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT = 15.0
MAX_FEEDS = 2


def user_agent() -> str:
    """The crawler's own User-Agent (with NEWSWATCH_CONTACT), so site owners see who probes."""
    try:
        return str(USER_AGENT)
    except ImportError:  # pragma: no cover - settings is part of the project
        return "newswatch outlets check"


class RobotsRules:
    """robots.txt decided exactly as the crawl decides it.

    The crawl's robots middleware (Scrapy's, crawler/crawl/middlewares.py) builds the
    `ROBOTSTXT_PARSER` of the settings (Protego by default: `*` wildcards, `$` anchors, the longest
    match wins) from the body and asks it with `ROBOTSTXT_USER_AGENT`, else the crawler's
    User-Agent. urllib's robotparser knows neither wildcards nor `$`, and would pass URLs the crawl
    then refuses (or the other way round)."""

    def __init__(self, body: bytes, settings: Any = None) -> None:
        settings = settings if settings is not None else project_settings()
        parser = load_object(settings.get("ROBOTSTXT_PARSER"))
        # Scrapy's parsers take the crawler only to name the spider in their warnings
        self.parser = parser.from_crawler(None, body)
        self.user_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")

    def allowed(self, url: str) -> bool:
        return bool(self.parser.allowed(url, self.user_agent))


@dataclass
class Fetched:
    url: str
    status: int
    body: bytes
    charset: str | None


class FetchError(Exception):
    """A request that gave no usable response; the message says what happened."""


def fetch(url: str, timeout: float = TIMEOUT) -> Fetched:
    """GET a URL (redirects followed, body capped); an HTTP error status is returned, not raised."""
    request = urllib.request.Request(url, headers={"User-Agent": user_agent(), "Accept": "*/*"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - http(s) only, from the registry
            return Fetched(resp.geturl(), resp.status, resp.read(MAX_BYTES), resp.headers.get_content_charset())
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            raise FetchError(f"redirect loop ({exc.code})") from exc
        return Fetched(url, exc.code, b"", None)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"unreachable: {reason}") from exc


@dataclass
class Probe:
    """One step's outcome: ok True/False, or None when the step did not apply."""

    ok: bool | None = None
    detail: str = ""


@dataclass
class CheckResult:
    outlet: str
    robots: Probe = field(default_factory=Probe)
    feed: Probe = field(default_factory=Probe)
    sitemap: Probe = field(default_factory=Probe)
    list_page: Probe = field(default_factory=Probe)
    article: Probe = field(default_factory=Probe)
    fixes: list[str] = field(default_factory=list)
    found_feeds: list[str] = field(default_factory=list)  # discovered, not in the registry
    found_sitemaps: list[str] = field(default_factory=list)

    @property
    def works(self) -> bool:
        return bool(self.article.ok) and bool(self.feed.ok or self.sitemap.ok or self.list_page.ok)


def _robots(outlet: Outlet, result: CheckResult) -> tuple[bytes, RobotsRules | None]:
    url = urljoin(outlet.home, "/robots.txt")
    try:
        got = fetch(url)
    except FetchError as exc:
        result.robots = Probe(False, str(exc))
        result.fixes.append(f"the site does not answer ({exc}); check `home` ({outlet.home})")
        return b"", None
    if got.status >= 500:
        result.robots = Probe(False, f"robots.txt answered {got.status}")
        result.fixes.append(f"the site answers {got.status}; try again later")
        return b"", None
    if got.status >= 400:
        result.robots = Probe(True, f"none ({got.status}): no rules")
        return b"", None
    result.robots = Probe(True, "ok")
    return got.body, RobotsRules(got.body)


def _allowed(parser: RobotsRules | None, url: str) -> bool:
    return parser is None or parser.allowed(url)


def _feeds(outlet: Outlet, nav: object, result: CheckResult) -> list[Entry]:
    assert isinstance(nav, Navigator)
    feeds, announced = nav.feeds(), False
    if not feeds:
        try:
            home = fetch(outlet.home)
        except FetchError:
            home = None
        if home is not None and home.status < 400:
            feeds = autodiscover_feeds(home.body.decode(home.charset or "utf-8", "replace"), home.url)[:MAX_FEEDS]
            announced = True
    if not feeds:
        result.feed = Probe(None, "no feed (none in the registry, none announced on the home page)")
        return []
    problems = []
    for url in feeds:
        try:
            got = fetch(url)
        except FetchError as exc:
            problems.append(f"{url}: {exc}")
            continue
        if got.status >= 400:
            problems.append(f"{url}: {got.status}")
            continue
        try:
            entries = parse_feed(got.body, got.url)
        except NotAFeed as exc:
            problems.append(f"{url}: not a feed ({exc})")
            continue
        if entries:
            result.feed = Probe(True, f"{len(entries)} entries ({url})")
            if announced:
                result.found_feeds = [url]
            return entries
        problems.append(f"{url}: no entries")
    result.feed = Probe(False, "; ".join(problems))
    result.fixes.append("fix `feeds` (" + "; ".join(problems) + ")")
    return []


def _sitemaps(nav: object, robots: bytes, result: CheckResult) -> list[Entry]:
    assert isinstance(nav, Navigator)
    queue, seen = nav.sitemaps(robots), 0
    while queue and seen < 4:
        url = queue.pop(0)
        seen += 1
        try:
            got = fetch(url)
            found = parse_sitemap(got.body, got.url) if got.status < 400 else None
        except (FetchError, NotASitemap) as exc:
            result.sitemap = Probe(False, f"{url}: {exc}")
            continue
        if found is None:
            result.sitemap = Probe(False, f"{url}: {got.status}")
            continue
        queue = nav.child_sitemaps(found.sitemaps) + queue
        if found.entries:
            result.sitemap = Probe(True, f"{len(found.entries)} entries ({url})")
            if not nav.outlet.sitemaps:
                result.found_sitemaps = [url]
            return found.entries
    return []


def _list(nav: object, parser: RobotsRules | None, result: CheckResult) -> list[Entry]:
    assert isinstance(nav, Navigator)
    url = nav.lists()[0]
    if not _allowed(parser, url):
        result.list_page = Probe(False, f"{url}: disallowed by robots.txt")
        result.fixes.append(f"robots.txt forbids the list {url}; use another list or the feed")
        return []
    try:
        got = fetch(url)
    except FetchError as exc:
        result.list_page = Probe(False, f"{url}: {exc}")
        return []
    if got.status >= 400:
        result.list_page = Probe(False, f"{url}: {got.status}")
        result.fixes.append(f"fix `lists` ({url} answers {got.status})")
        return []
    entries = nav.list_entries(got.body.decode(got.charset or "utf-8", "replace"), got.url)
    if not entries:
        result.list_page = Probe(False, f"{url}: no article links")
        result.fixes.append(f"fix `lists` or `family` ({url} shows no article link of the family's shape)")
        return []
    result.list_page = Probe(True, f"{len(entries)} links ({url})")
    return entries


def _article(outlet: Outlet, url: str, parser: RobotsRules | None,
             result: CheckResult) -> None:
    if not _allowed(parser, url):
        result.article = Probe(False, f"{url}: disallowed by robots.txt")
        result.fixes.append("robots.txt forbids the articles: the outlet cannot be crawled")
        return
    try:
        got = fetch(url)
    except FetchError as exc:
        result.article = Probe(False, f"{url}: {exc}")
        return
    if got.status >= 400:
        result.article = Probe(False, f"{url}: {got.status}")
        return
    extracted = extract(got.body, got.url, family=outlet.family, charset=outlet.encoding or got.charset)
    missing = [name for name in ("title", "body", "published_at") if not getattr(extracted, name)]
    if not extracted.is_article or missing:
        what = "not an article page" if not extracted.is_article else "no " + ", ".join(missing)
        result.article = Probe(False, f"{url}: {what}")
        result.fixes.append(f"extraction: {what}; try `newswatch outlets detect {url}`")
        return
    note = f" (family {outlet.family} fell back to generic)" if extracted.fallback else ""
    result.article = Probe(True, f"{extracted.title[:40]}{note}")  # type: ignore[index]
    if extracted.fallback:
        result.fixes.append(f"the {outlet.family} page object found nothing: check `family` "
                            f"(`newswatch outlets detect {url}`)")


def check_outlet(outlet: Outlet) -> CheckResult:
    """Probe one outlet: robots.txt, feed, sitemaps (without a feed), list, one article."""
    result = CheckResult(outlet.id)
    robots, parser = _robots(outlet, result)
    if result.robots.ok is False and "does not answer" in " ".join(result.fixes):
        return result
    nav = navigator_for(outlet)
    entries = _feeds(outlet, nav, result)
    if not entries:
        entries = _sitemaps(nav, robots, result)
    list_entries = _list(nav, parser, result)
    candidates = [e.url for e in entries + list_entries if nav.is_article_url(e.url)]
    candidates = candidates or [e.url for e in entries + list_entries]
    if not candidates:
        result.article = Probe(False, "no article link found by any strategy")
        return result
    _article(outlet, candidates[0], parser, result)
    return result


def check_outlets(outlets: Iterable[Outlet]) -> list[CheckResult]:
    return [check_outlet(o) for o in outlets]


# --- the registry file -------------------------------------------------------------------------
# Edited through tomlkit, a round-trip TOML library: comments, blank lines, key order and quoting
# stay as the person wrote them; only the values set here change.


def _array(urls: list[str]) -> Any:
    found = tomlkit.array()
    found.extend(urls)
    return found


def _insert_after(table: Any, anchors: tuple[str, ...], key: str, value: Any) -> None:
    """Set a new key right below the first anchor key present (else at the table's end)."""
    body = table.value.body
    for anchor in anchors:
        at = [i for i, (k, _) in enumerate(body) if k is not None and k.key == anchor]
        if at:
            # tomlkit has no public "insert after": its container's own insert keeps the layout
            table.value._insert_at(at[0] + 1, key, value)
            return
    table[key] = value


def mark_verified(text: str, result: CheckResult) -> str:
    """The registry text with one working entry marked verified (and its discovered URLs added)."""
    doc = tomlkit.parse(text)
    entry = next((t for t in doc.get("outlet", []) if t.get("id") == result.outlet), None)
    if entry is None:
        return text
    entry["verified"] = True
    if result.found_sitemaps and "sitemaps" not in entry:
        _insert_after(entry, ("family", "home"), "sitemaps", _array(result.found_sitemaps))
    if result.found_feeds and "feeds" not in entry:
        _insert_after(entry, ("family", "home"), "feeds", _array(result.found_feeds))
    return tomlkit.dumps(doc)


def write_verified(path: Path, results: Iterable[CheckResult]) -> list[str]:
    """Mark the working outlets verified in the registry file; the ids written."""
    text = original = path.read_text(encoding="utf-8")
    written = []
    for result in results:
        if result.works:
            text = mark_verified(text, result)
            written.append(result.outlet)
    if text != original:
        tomllib.loads(text)  # never leave a broken registry behind
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return written


# --- the command -------------------------------------------------------------------------------

def _cell(probe: Probe) -> str:
    mark = {True: "[green]ok[/]", False: "[red]FAIL[/]", None: "[dim]–[/]"}[probe.ok]
    return f"{mark} {probe.detail}" if probe.detail else mark


def print_table(results: list[CheckResult]) -> None:
    table = Table(title="outlets check", show_lines=True)
    for column in ("outlet", "works", "robots.txt", "feed", "sitemap", "list", "article", "to fix"):
        table.add_column(column, overflow="fold")
    for r in results:
        table.add_row(r.outlet, "[green]yes[/]" if r.works else "[red]no[/]", _cell(r.robots), _cell(r.feed),
                      _cell(r.sitemap), _cell(r.list_page), _cell(r.article), "\n".join(r.fixes))
    Console(width=200).print(table)


def run_check(outlet_ids: list[str], write: bool = False, registry_file: Path | None = None) -> int:
    """The command: 0 when every probed outlet works, 1 otherwise, 2 for unknown ids."""
    path = registry_file or paths.outlets_file()
    registry = load_registry(path).by_id()
    unknown = [o for o in outlet_ids if o not in registry]
    if unknown:
        print(f"unknown outlet(s): {', '.join(unknown)}; `newswatch outlets` lists the registry", file=sys.stderr)
        return 2
    chosen = [registry[o] for o in outlet_ids] if outlet_ids else list(registry.values())
    results = check_outlets(chosen)
    print_table(results)
    if write:
        written = write_verified(path, results)
        print(f"marked verified in {path}: {', '.join(written) or 'none'}")
    return 0 if all(r.works for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    """`python -m crawler.crawl.check [OUTLET…] [--write]` (the same as `newswatch outlets check`)."""
    p = argparse.ArgumentParser(prog="newswatch outlets check", description=__doc__.split("\n\n")[0])
    p.add_argument("outlets", nargs="*", metavar="OUTLET", help="outlet ids (default: all)")
    p.add_argument("--write", action="store_true", help="mark working outlets verified = true in the registry")
    args = p.parse_args(argv)
    return run_check(args.outlets, write=args.write)


if __name__ == "__main__":
    raise SystemExit(main())
