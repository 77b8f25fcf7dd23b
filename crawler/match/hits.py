"""Hits: where a watchlist's terms occur in one article, and questions about their places."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, replace

from crawler.korean import Normalized

FIELDS = ("title", "subtitle", "body")
GROUP, EXCLUDE, HOME, DISTRICT, NOT_IN = range(5)  # what a term is for
HOME_GROUP = "home"


@dataclass(frozen=True)
class TermInfo:
    """A term compiled for matching."""

    layer: int
    owner: str  # group id, exclusion index or "home"
    shown: str
    weight: float
    splits: frozenset[int] | None  # allowed split offsets; None = anywhere
    word_start: bool
    latin_start: bool
    latin_end: bool
    checked: bool = False  # True when a hit needs a boundary check (set by `compiled`)

    def compiled(self) -> TermInfo:
        """This term with `checked` worked out."""
        checked = self.splits is not None or self.word_start or self.latin_start or self.latin_end
        return replace(self, checked=checked)


# One occurrence of a term: (start, end, term, field), a plain tuple (made for every hit, so
# it has to be cheap); tuples sort by position (all sorting is per field).
#   start, end: in the normalised text (same positions as Normalized.spaced)
#   term: index into Matcher.terms
#   field: "title", "subtitle" or "body"
Hit = tuple[int, int, int, str]


class FieldHits:
    """One field's normalised text and its surviving hits by layer (each list sorted)."""

    __slots__ = ("districts", "excludes", "groups", "home", "name", "norm")

    def __init__(self, name: str, norm: Normalized) -> None:
        self.name = name
        self.norm = norm
        self.groups: dict[str, list[Hit]] = {}  # by group id, in the order of first hits
        self.excludes: dict[str, list[Hit]] = {}  # by exclusion index (str)
        self.home: list[Hit] = []
        self.districts: list[Hit] = []


def outermost(hits: list[Hit]) -> list[Hit]:
    """Hits not inside a longer hit (the longest term wins; partial overlaps both stay)."""
    hits = sorted(hits)
    out: list[Hit] = []
    max_end, max_start = -1, -1
    last = len(hits) - 1
    for i, hit in enumerate(hits):
        start, end = hit[0], hit[1]
        if i < last:
            following = hits[i + 1]
            if following[0] == start and following[1] > end:
                continue  # a longer hit starts at the same place
        if end < max_end or (end == max_end and start > max_start):
            continue
        out.append(hit)
        if end > max_end:
            max_end, max_start = end, start
    return out


class Anchors:
    """Some hits of one field, to ask whether another hit is within N characters of one."""

    __slots__ = ("hits", "longest", "starts")

    def __init__(self, hits: Iterable[Hit]) -> None:
        self.hits = sorted(hits)
        self.starts = [h[0] for h in self.hits]
        self.longest = max((h[1] - h[0] for h in self.hits), default=0)

    def near(self, hit: Hit, within: int) -> bool:
        """True when `hit` is at most `within` characters from one of the anchors."""
        start, end = hit[0], hit[1]
        hits = self.hits
        i = bisect_left(self.starts, start - within - self.longest)
        n = len(hits)
        while i < n:
            a_start, a_end = hits[i][0], hits[i][1]
            if a_start > end + within:
                return False
            if max(0, a_start - end, start - a_end) <= within:
                return True
            i += 1
        return False
