"""Dedupe layer 1: one article, one identity, whatever URL variant we met it under.

`canonical_url` is the URL we store: mobile/AMP/tracking variants of one page fold to one
string. `article_key` is the identity checked *before* a request (DESIGN.md "Discovery before
download"): for URL shapes that carry an outlet article id (DOMAIN.md) it is
"host|shape|id", so `?idxno=5&sc_section_code=S1N1` and `?idxno=5` are one article; otherwise it
is the canonical URL. The host (with a non-default port: local test sites differ only by port)
is always part of the key, so two outlets' article 5 never collide. The id rules are an
argument: the families declare theirs (`crawler.families.ID_RULES` is the whole table).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urljoin, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "ref", "sessionid", "phpsessid", "sid", "jsessionid", "_ga", "_gl",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_",)
HOST_VARIANTS = ("www.", "m.", "mobile.")  # folded to the bare host
# second-level public suffixes a host variant must never be folded into (m.co.kr is no site)
_PUBLIC_SUFFIXES = frozenset(
    "co.kr or.kr go.kr ne.kr re.kr pe.kr ac.kr mil.kr hs.kr ms.kr es.kr sc.kr kg.kr "
    "co.uk com.cn co.jp com.au".split()
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_AMP_VALUES = frozenset({"", "1", "true", "y", "yes", "on"})
_JSESSIONID_RE = re.compile(r";jsessionid=[^/?#]*", re.IGNORECASE)
_PCT_RE = re.compile(r"%[0-9a-fA-F]{2}")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = "/:@!$'()*,;-._~"
_HOME_PATHS = frozenset(
    "/ /index.html /index.htm /index.php /index.asp /index.jsp /default.asp /default.aspx "
    "/main.html /main.php /main /news /news/ /home".split()
)
_LIST_RE = re.compile(r"list|section|category|/tag/|/search|/sitemap|/rss|\.xml$", re.IGNORECASE)


@dataclass(frozen=True)
class IdRule:
    """A URL shape that names an outlet article id: path pattern + the query params that are the id."""

    name: str
    path: re.Pattern[str]
    params: tuple[str, ...] = ()  # all required; their values must match `value`
    value: re.Pattern[str] = re.compile(r"^\d+$")
    extra: tuple[tuple[str, str], ...] = ()  # params that must also be present with these values
    families: tuple[str, ...] = ()  # when set, the rule applies only to outlets of these families


def _p(pattern: str) -> re.Pattern[str]:
    """A case-insensitive path pattern."""
    return re.compile(pattern, re.IGNORECASE)


# The article-id shapes of CMSs that have no family module: any outlet may show them. Each
# family's own rules are in its module (crawler/families/); `crawler.families.ID_RULES` is the
# whole table, the families' rules first.
OTHER_ID_RULES: tuple[IdRule, ...] = (
    IdRule("view.php", _p(r"(?:^|/)view\.php$"), ("no",)),
    IdRule("view.php", _p(r"(?:^|/)view\.php$"), ("key",)),
    IdRule("newstool", _p(r"(?:^|/)view\.php$"), ("aid", "eid")),
    IdRule("news_view.html", _p(r"/news_view\.html$"), ("idx",)),
    IdRule("news_read.asp", _p(r"/news_read\.asp$"), ("idx",)),
    IdRule("news_view.jsp", _p(r"/(?:news_)?view\.jsp$"), ("ncd",)),
    IdRule("mnews.asp", _p(r"/mnews\.asp$"), ("pk_no",)),
    IdRule("sub_read.html", _p(r"/sub_read\.html$"), ("uid",)),
    IdRule("newsView.htm", _p(r"/n(?:ews)?view\.htm$"), ("idx",)),
    IdRule("view.html", _p(r"/view\.html$"), ("idx",)),
    IdRule("view.html", _p(r"/view\.html$"), ("uid",)),
    IdRule("wordpress", _p(r"^/$"), ("p",), families=("wordpress",)),
)


def _fold_host(host: str) -> str:
    """Lower-cased host with one `www.`/`m.`/`mobile.` label removed (never down to a suffix)."""
    host = host.lower().rstrip(".")
    for prefix in HOST_VARIANTS:
        rest = host[len(prefix) :]
        if host.startswith(prefix) and "." in rest and rest not in _PUBLIC_SUFFIXES:
            return rest
    return host


def _netloc(scheme: str, host: str, port: int | None) -> str:
    """host[:port], the port only when it is not the scheme's default."""
    return host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"


def _fold_amp_path(path: str) -> str:
    """The non-AMP path: `/amp/` segments, `.amp` suffixes and NDSoft's `articleViewAmp` removed."""
    segments = [s for s in path.split("/") if s.lower() != "amp"]
    if segments and segments[-1].lower().endswith(".amp"):
        segments[-1] = segments[-1][:-4]
    segments = [re.sub(r"\.amp(\.\w+)$", r"\1", s, flags=re.IGNORECASE) for s in segments]
    segments = [
        re.sub(r"^articleViewAmp\.", "articleView.", s, flags=re.IGNORECASE) for s in segments
    ]
    segments = ["article" if s.lower() == "articleamp" else s for s in segments]
    folded = "/".join(segments)
    return folded if folded.startswith("/") else "/" + folded


def _normalise_path(path: str) -> str:
    """Path with `;jsessionid=`, AMP variants removed and percent-encoding made uniform."""
    path = _fold_amp_path(_JSESSIONID_RE.sub("", path) or "/")
    path = quote(path, safe=_PATH_SAFE)
    return _PCT_RE.sub(lambda m: m.group(0).upper(), path)


def _keep_param(key: str, value: str) -> bool:
    """False for tracking and AMP-switch parameters."""
    low = key.lower()
    if low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES):
        return False
    if low == "amp" and value.lower() in _AMP_VALUES:
        return False
    return not (low == "outputtype" and value.lower() == "amp")


def _normalise_query(query: str) -> str:
    """Query without tracking/AMP params, the rest sorted and uniformly encoded."""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if _keep_param(k, v)]
    pairs.sort()
    return "&".join(f"{quote(k, safe=_QUERY_SAFE)}={quote(v, safe=_QUERY_SAFE)}" for k, v in pairs)


def _canonical(url: str) -> str:
    """The canonical form of one absolute http(s) URL; ValueError for anything else."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    netloc = _netloc(scheme, _fold_host(parts.hostname), parts.port)
    return urlunsplit(
        (scheme, netloc, _normalise_path(parts.path), _normalise_query(parts.query), "")
    )


def _site(canonical: str) -> str:
    """The folded host[:port] of a canonical URL (same site = same value)."""
    return urlsplit(canonical).netloc


def _is_home_or_list(canonical: str, home: str | None, rules: Sequence[IdRule]) -> bool:
    """True when a canonical URL is the outlet's home page or a list/section page."""
    if article_id(canonical, rules=rules) is not None:
        return False
    if home and canonical == _canonical_or_none(home):
        return True
    parts = urlsplit(canonical)
    return parts.path in _HOME_PATHS or bool(_LIST_RE.search(parts.path + "?" + parts.query))


def _canonical_or_none(url: str) -> str | None:
    """`_canonical`, or None for a URL it rejects."""
    try:
        return _canonical(url)
    except ValueError:
        return None


def _usable_hint(own: str, hint: str | None, home: str | None, rules: Sequence[IdRule]) -> bool:
    """True when a page's canonical hint may replace its own URL (see `canonical_url`)."""
    if hint is None or _site(hint) != _site(own) or _is_home_or_list(hint, home, rules):
        return False
    own_id, hint_id = article_id(own, rules=rules), article_id(hint, rules=rules)
    return own_id is None or hint_id is None or own_id[1] == hint_id[1]


def canonical_url(
    url: str,
    *,
    canonical_hint: str | None = None,
    home: str | None = None,
    rules: Sequence[IdRule] | None = None,
) -> str:
    """The URL we store: variants folded; the page's canonical hint when it is trustworthy.

    The hint (`<link rel=canonical>`, `og:url`; may be relative) is used only when it is on the
    same site (folded host and port), is not the home page (`home`) or a list page, and names
    the same article id as `url` when both name one (by `rules`, required with a hint). Many CMSs
    point every page's canonical at the home page or at another domain of the publisher; those
    hints are ignored. Raises ValueError for anything but an absolute http(s) URL.
    """
    own = _canonical(url)
    if not canonical_hint or not canonical_hint.strip():
        return own
    if rules is None:
        raise TypeError("canonical_url: a canonical hint is judged by the article-id rules; pass rules=")
    hint = _canonical_or_none(urljoin(url, canonical_hint.strip()))
    return hint if hint is not None and _usable_hint(own, hint, home, rules) else own


def _rule_id(rule: IdRule, path: str, params: dict[str, str]) -> str | None:
    """The id string `rule` reads from a path and query, or None when the URL is not its shape."""
    match = rule.path.search(path)
    if match is None:
        return None
    if any(params.get(k, "").lower() != v for k, v in rule.extra):
        return None
    if not rule.params:
        return match.group(1) if match.groups() else None
    values = [params.get(name, "") for name in rule.params]
    if not all(rule.value.match(v) for v in values):
        return None
    return "&".join(f"{name}={v}" for name, v in zip(rule.params, values, strict=True))


def article_id(
    url: str, family: str | None = None, *, rules: Sequence[IdRule]
) -> tuple[str, str] | None:
    """(shape name, id) by the first of `rules` the URL's shape fits, e.g. ("ndsoft", "idxno=5")."""
    parts = urlsplit(url)
    params: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        params.setdefault(key.lower(), value)
    path = _fold_amp_path(parts.path or "/")
    for rule in rules:
        if rule.families and family not in rule.families:
            continue
        found = _rule_id(rule, path, params)
        if found is not None:
            return rule.name, found
    return None


def article_key(url: str, family: str | None = None, *, rules: Sequence[IdRule]) -> str:
    """The "already stored?" identity: "host[:port]|shape|id" for id-bearing URLs, else the canonical URL."""
    canonical = _canonical(url)
    found = article_id(canonical, family, rules=rules)
    if found is None:
        return canonical
    return f"{_site(canonical)}|{found[0]}|{found[1]}"
