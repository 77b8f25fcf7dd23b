"""The matcher: finds a watchlist's terms with Aho-Corasick automata, then scores (`scoring`).

How an article is scored (the README copies this):

1. Title, subtitle and body are normalised (`crawler.korean`) and every term is found
   in them; hits that break a word-boundary guard, sit inside a `not_in` word, or lie
   inside a longer term's hit are dropped.
2. A **rule** fires when each of its `require` entries has a hit (if `within` is set:
   all in one field, in a stretch of at most `within` characters, spaces included).
   The hits that made a rule fire are its *rule hits*.  No rule fired: the score is 0.
3. Score = the weights of the groups of the fired rules, plus the weights of other
   groups with a hit within `context_within` characters of a rule hit (each group
   counted once, at its best term's weight), plus the best bonus of the fired rules,
   plus `title_boost` when a rule hit is in the title (else `subtitle_boost` for the
   subtitle), plus `repeat_bonus × log2(1 + extra)` (at most `repeat_cap`) for rule hits
   repeated in the body, plus the home region's `boost` when one of its names occurs
   (else `district_boost` for a district name alone).
4. When every rule hit sits in a list (short items separated by `·`, `,`, `/`, `▲`… or
   bulleted lines) and none is in the title, the score is multiplied by `list_factor`.
5. Each exclusion whose terms occur subtracts its penalty once.  With `within`, only
   when one of its terms is that close to a rule hit in the same field, or is in the
   title or subtitle (they frame the whole article).  The score never goes below 0.

A hit strictly inside a longer hit of the same kind is dropped (``의료관광`` hides the
``의료`` and ``관광`` inside it); hits that only partly overlap both count.

Only the text passed in is matched; page chrome must be removed before (the extractor's job).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import ahocorasick

from crawler.korean import (
    Normalized,
    is_latin_word_char,
    is_word_char,
    normalize,
    normalize_term,
)
from crawler.match.hits import (
    DISTRICT,
    EXCLUDE,
    GROUP,
    HOME,
    HOME_GROUP,
    NOT_IN,
    FieldHits,
    Hit,
    TermInfo,
    outermost,
)
from crawler.match.scoring import Verdict
from crawler.match.watchlist import Term, Watchlist
from crawler.types import MatchResult


class _TermSet:
    """An automaton (and regex list) over some of a watchlist's terms."""

    def __init__(self) -> None:
        self.entries: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.regexes: list[tuple[re.Pattern[str], int]] = []
        self.automaton: Any = None

    def build(self) -> None:
        """Make the automaton (keys with common first letters first, see _first_letter_rank)."""
        if not self.entries:
            return
        self.automaton = ahocorasick.Automaton()
        for key in sorted(self.entries, key=_first_letter_rank):
            self.automaton.add_word(key, (len(key), tuple(self.entries[key])))
        self.automaton.make_automaton()

    def find(
        self, norm: Normalized
    ) -> tuple[list[tuple[int, int, int]], dict[int, list[tuple[int, int]]]]:
        """Raw hits (start, end, term index) and the `not_in` spans found per term."""
        raw: list[tuple[int, int, int]] = []
        blocked: dict[int, list[tuple[int, int]]] = {}
        if self.automaton is not None:
            text = norm.text
            for last, (length, values) in self.automaton.iter(text, ignore_white_space=True):
                first = last - length + 1
                if first < 0 or " " in text[first : last + 1]:
                    first = norm.start_of(last, length)
                for layer, index in values:
                    if layer == NOT_IN:
                        blocked.setdefault(index, []).append((first, last + 1))
                    else:
                        raw.append((first, last + 1, index))
        if self.regexes:
            raw.extend(_regex_hits(self.regexes, norm))
        return raw, blocked


class Matcher:
    """Matches articles against one watchlist.

    Concept-group terms are looked up in every article; exclusion and home-region terms
    only in articles where a rule fired (they never make a match, they only change its
    score), which keeps the main automaton small and the common case fast.
    """

    def __init__(self, watchlist: Watchlist) -> None:
        self.watchlist = watchlist
        self.rules = [
            (i, rule, rule.slots, [frozenset(slot) for slot in rule.slots])
            for i, rule in enumerate(watchlist.rules)
        ]
        self.terms: list[TermInfo] = []
        self._concepts = _TermSet()
        self._context = _TermSet()
        for layer, owner, weight, term in self._all_terms():
            self._compile(layer, owner, weight, term)
        self._concepts.build()
        self._context.build()

    def _all_terms(self) -> Iterable[tuple[int, str, float, Term]]:
        """Every term of the watchlist with its layer, owner and weight."""
        w = self.watchlist
        for gid, group in w.groups.items():
            for term in group.terms:
                yield GROUP, gid, term.weight if term.weight is not None else group.weight, term
        for i, excl in enumerate(w.exclude):
            for term in excl.terms:
                yield EXCLUDE, str(i), excl.penalty, term
        if w.home:
            for term in w.home.terms:
                yield HOME, HOME_GROUP, w.home.boost, term
            for term in w.home.districts:
                yield DISTRICT, HOME_GROUP, w.home.district_boost, term

    def _compile(self, layer: int, owner: str, weight: float, term: Term) -> None:
        """Add one term (and its not_in words) to its term set."""
        target = self._concepts if layer == GROUP else self._context
        index = len(self.terms)
        if term.regex is not None:
            info = TermInfo(layer, owner, term.shown, weight, None, term.word_start, False, False)
            self.terms.append(info.compiled())
            target.regexes.append((re.compile(term.regex), index))
            return
        assert term.text is not None
        key, written_splits = normalize_term(term.text)
        if written_splits:
            splits: frozenset[int] | None = written_splits
        elif len(key) <= 2:
            splits = frozenset()
        else:
            splits = None
        info = TermInfo(
            layer, owner, term.shown, weight, splits, term.word_start,
            is_latin_word_char(key[0]), is_latin_word_char(key[-1]),
        )  # fmt: skip
        self.terms.append(info.compiled())
        target.entries[key].append((layer, index))
        for word in term.not_in:
            target.entries[normalize_term(word)[0]].append((NOT_IN, index))

    # --- finding hits ----------------------------------------------------------------------

    def _scan(self, name: str, text: str) -> FieldHits:
        """Normalise one field and keep the concept hits that pass every guard."""
        fld = FieldHits(name, normalize(text))
        if fld.norm.text:
            self._file_hits(fld, *self._concepts.find(fld.norm))
        return fld

    def _scan_context(self, fld: FieldHits) -> None:
        """Add the exclusion and home-region hits of one field."""
        if fld.norm.text:
            self._file_hits(fld, *self._context.find(fld.norm))

    def _file_hits(
        self,
        fld: FieldHits,
        raw: list[tuple[int, int, int]],
        blocked: dict[int, list[tuple[int, int]]],
    ) -> None:
        """Apply the guards, drop hits inside longer hits of their layer, file the rest by owner."""
        groups: list[Hit] = []
        places: list[Hit] = []
        excludes: list[Hit] = []
        terms, name, norm = self.terms, fld.name, fld.norm
        for start, end, index in raw:
            if index in blocked and any(s <= start and end <= e for s, e in blocked[index]):
                continue
            info = terms[index]
            if info.checked and not _passes(info, norm, start, end):
                continue
            target = (
                groups if info.layer == GROUP else excludes if info.layer == EXCLUDE else places
            )
            target.append(Hit(start, end, index, name))
        for hit in outermost(groups):
            fld.groups.setdefault(terms[hit.term].owner, []).append(hit)
        for hit in outermost(places):
            (fld.home if terms[hit.term].layer == HOME else fld.districts).append(hit)
        for hit in sorted(excludes):
            fld.excludes.setdefault(terms[hit.term].owner, []).append(hit)

    # --- scoring ---------------------------------------------------------------------------

    def match(self, title: str, body: str, subtitle: str = "") -> MatchResult:
        """Score one article (title, optional subtitle, body) against the watchlist."""
        fields = {
            "title": self._scan("title", title or ""),
            "subtitle": self._scan("subtitle", subtitle or ""),
            "body": self._scan("body", body or ""),
        }
        verdict = Verdict(self, fields)
        if verdict.fired:
            for fld in fields.values():
                self._scan_context(fld)
        return verdict.result()


# pyahocorasick looks up a node's children one by one, in the order the keys were added, and
# every character of the text is looked up among the root's children: keys whose first
# letter is common in Korean news go first (about a third faster on news text).
_COMMON_SYLLABLES = (
    "이다의에는을하고지가한로기서사대자도수인를정시으국일적전해부상리장원어여라나게주보"
    "성것년동그제들과연중우방관회진비경공위업문무개아실내발신행분구결물생학세선화소명미"
    "마만계간체통단조식교설안외병환치료의광"
)
_RANK = {ch: i for i, ch in reversed(list(enumerate(_COMMON_SYLLABLES)))}


def _first_letter_rank(key: str) -> tuple[int, str]:
    return _RANK.get(key[0], len(_RANK)), key


def _regex_hits(
    regexes: list[tuple[re.Pattern[str], int]], norm: Normalized
) -> list[tuple[int, int, int]]:
    """Regex terms run over the text without spaces; their hits are mapped back."""
    compact = norm.text.replace(" ", "")
    positions: list[int] = []
    hits = []
    for pattern, index in regexes:
        for m in pattern.finditer(compact):
            if not positions:
                positions = [i for i, ch in enumerate(norm.text) if ch != " "]
            hits.append((positions[m.start()], positions[m.end() - 1] + 1, index))
    return hits


def _passes(info: TermInfo, norm: Normalized, start: int, end: int) -> bool:
    """The word-boundary guards of one hit."""
    if info.splits is not None and any(k not in info.splits for k in norm.splits(start, end)):
        return False
    before = norm.char_before(start)
    if info.word_start and is_word_char(before):
        return False
    if info.latin_start and is_latin_word_char(before):
        return False
    return not (info.latin_end and is_latin_word_char(norm.char_after(end)))


def article_texts(obj: dict[str, Any]) -> tuple[str, str, str]:
    """Title, body and subtitle of a JSON-lines article (missing or null = ""); checks `id`."""
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object with id, title and body")
    if "id" not in obj:
        raise ValueError("missing 'id'")
    texts = []
    for key in ("title", "body", "subtitle"):
        value = obj.get(key)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValueError(f"{key!r} must be a string, not {type(value).__name__}")
        texts.append(value)
    return texts[0], texts[1], texts[2]


def classify_line(matcher: Matcher, obj: dict[str, Any]) -> dict[str, Any]:
    """One `newswatch classify` line: {"id","title","body"} -> {"id","relevant","score","matched"}."""
    title, body, subtitle = article_texts(obj)
    result = matcher.match(title, body, subtitle=subtitle)
    return {
        "id": obj["id"],
        "relevant": result.relevant,
        "score": float(result.score),
        "matched": list(result.terms),
    }
