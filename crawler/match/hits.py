"""Hits: where a watchlist's terms occur in one article, and questions about their places."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

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


class Hit(NamedTuple):
    """One occurrence of a term; tuples sort by position (all sorting is per field)."""

    start: int  # in the normalised text (same positions as Normalized.spaced)
    end: int
    term: int  # index into Matcher.terms
    field: str


@dataclass(slots=True)
class FieldHits:
    """One field's normalised text and its surviving hits by layer."""

    name: str
    norm: Normalized
    groups: dict[str, list[Hit]] = field(default_factory=dict)
    excludes: dict[str, list[Hit]] = field(default_factory=dict)
    home: list[Hit] = field(default_factory=list)
    districts: list[Hit] = field(default_factory=list)


def outermost(hits: list[Hit]) -> list[Hit]:
    """Hits not inside a longer hit (the longest term wins; partial overlaps both stay)."""
    hits = sorted(hits)
    out: list[Hit] = []
    max_end, max_start = -1, -1
    for i, hit in enumerate(hits):
        following = hits[i + 1] if i + 1 < len(hits) else None
        if following and following.start == hit.start and following.end > hit.end:
            continue  # a longer hit starts at the same place
        if hit.end < max_end or (hit.end == max_end and hit.start > max_start):
            continue
        out.append(hit)
        if hit.end > max_end:
            max_end, max_start = hit.end, hit.start
    return out


def gap(a: Hit, b: Hit) -> int:
    """Characters between two hits (0 when they touch or overlap)."""
    return max(0, b.start - a.end, a.start - b.end)


class Anchors:
    """Some hits of one field, to ask whether another hit is within N characters of one."""

    def __init__(self, hits: Iterable[Hit]) -> None:
        self.hits = sorted(hits)
        self.starts = [h.start for h in self.hits]
        self.longest = max((h.end - h.start for h in self.hits), default=0)

    def near(self, hit: Hit, within: int) -> bool:
        """True when `hit` is at most `within` characters from one of the anchors."""
        i = bisect_left(self.starts, hit.start - within - self.longest)
        while i < len(self.hits) and self.hits[i].start <= hit.end + within:
            if gap(hit, self.hits[i]) <= within:
                return True
            i += 1
        return False
