"""Watchlist matching: load watchlists, match articles, explain why.

`load_watchlist(s)` read `settings/watchlists/<id>.toml` (format: `crawler.match.watchlist`);
`Matcher(watchlist).match(title, body, subtitle)` returns a `crawler.types.MatchResult`
(scoring: `crawler.match.engine`; normalisation: `crawler.korean`).
"""

from __future__ import annotations

from crawler.match.engine import Matcher, classify_line
from crawler.match.watchlist import Watchlist, WatchlistError, load_watchlist, load_watchlists

__all__ = [
    "Matcher",
    "Watchlist",
    "WatchlistError",
    "classify_line",
    "load_watchlist",
    "load_watchlists",
]
