"""Real Korean feed items (../shared/corpus/feeds) through the bundled watchlist.

The 448 items (health and medicine category feeds, and six publishers' all-article feeds,
2022) were read by hand: none is about bringing foreign patients or medical tourists to
Korea, and many are the hard negatives of DOMAIN.md (hospital and COVID news, research on
patients abroad, tourism, kindergartens, investment attraction).  So nothing may match.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from crawler.korean import normalize, normalize_term, strip_markup
from crawler.match import Matcher, load_watchlist
from tests.support.env import CORPUS, ROOT, need_shared

FEEDS = CORPUS / "feeds"
BUNDLED = ROOT / "settings" / "watchlists" / "medical-tourism.toml"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"

pytestmark = pytest.mark.corpus


@pytest.fixture(autouse=True)
def _feeds() -> None:
    need_shared(FEEDS)

EXPECTED_RELEVANT: set[str] = set()


def feed_items() -> list[tuple[str, str, str]]:
    """(source, title, body) of every item of every feed file."""
    items = []
    for path in sorted(FEEDS.glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")):
            items.append((path.name, entry.get("title") or "", entry.get("partialText") or ""))
    for path in sorted(FEEDS.glob("*.xml")):
        for entry in ET.parse(path).getroot().iter("item"):
            body = entry.findtext(CONTENT) or entry.findtext("description") or ""
            items.append((path.name, entry.findtext("title") or "", body))
    return items


def test_every_feed_item_matches_without_error(capsys: pytest.CaptureFixture[str]) -> None:
    matcher = Matcher(load_watchlist(BUNDLED))
    items = feed_items()
    assert len(items) > 400
    relevant = []
    for source, title, body in items:
        result = matcher.match(title, body)
        texts = {"title": title, "body": body}
        for hit in result.hits:
            original = strip_markup(texts[hit.field][hit.start : hit.end])
            if not hit.term.startswith("/"):
                assert normalize(original).text.replace(" ", "") == normalize_term(hit.term)[0]
        if result.relevant:
            relevant.append(title)
            print(f"MATCHED {result.score:5.2f} [{source}] {title} — {result.rule}")
    with capsys.disabled():
        print(f"\nfeed corpus: {len(items)} items, {len(relevant)} matched")
        for title in relevant:
            print(f"  matched: {title}")
    assert set(relevant) == EXPECTED_RELEVANT
