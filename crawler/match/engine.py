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
import numpy as np

from crawler.korean import (
    Normalized,
    context_cased,
    is_latin_word_char,
    match_chars,
    normalize,
    normalize_term,
    splits,
    start_of,
)
from crawler.match.hits import (
    DISTRICT,
    EXCLUDE,
    FIELDS,
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
    """An automaton (and regex list) over some of a watchlist's terms.

    The automaton does not run over the matched text itself but over its *lookup text*:
    each letter of the keys becomes a code of its own (a byte when there are few enough
    letters), every other character _FILLER, and spaces stay.  The hits are the same — a
    character in no key is in no hit — and the lookup text is made in one numpy step
    (`lookup_text`), where the matched text takes a regex substitution and a case fold.
    """

    def __init__(self) -> None:
        self.entries: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.regexes: list[tuple[re.Pattern[str], int]] = []
        self.automaton: Any = None
        self.table: Any = None  # numpy: BMP code point -> its code in the lookup text
        self.decoding = "utf-16-le"  # of the table's codes as bytes
        self.codes: dict[int, str] | None = None  # letter -> code (None: the letter itself)
        self.context_cased = context_cased()
        self.line_break_is_letter = False

    def build(self, kinds: list[int]) -> None:
        """Make the automaton (keys with common first letters first, see _first_letter_rank).

        Each key's value: its length, the terms it is a hit of (three tuples: the hit is
        theirs / theirs if it has no space inside / to be checked, see `Matcher._find`), and
        the terms it is a `not_in` word of.
        """
        if not self.entries:
            return
        letters = sorted({ch for key in self.entries for ch in key})
        if len(letters) <= len(_BYTE_CODES):
            self.codes = {
                ord(ch): chr(code) for ch, code in zip(letters, _BYTE_CODES, strict=False)
            }
            self.decoding = "latin-1"
        self.automaton = ahocorasick.Automaton()
        self.automaton.add_word(_FILLER + _NEVER, (0, (), (), (), ()))  # the root's first child
        for key in sorted(self.entries, key=_first_letter_rank):
            values = self.entries[key]
            hits = [index for layer, index in values if layer != NOT_IN]
            by_kind = [
                tuple(i for i in hits if kinds[i] == kind) for kind in (_ANY, _SOLID, _CHECK)
            ]
            blocks = tuple(index for layer, index in values if layer == NOT_IN)
            code = key.translate(self.codes) if self.codes else key
            self.automaton.add_word(code, (len(key), *by_kind, blocks))
        self.automaton.make_automaton()
        bmp = [ch for ch in letters if ch <= "\uffff"]
        if self.codes is None and len(bmp) < len(letters):
            return  # a letter outside the BMP, which the table cannot give: no table
        code_of = np.full(0x10000, ord(_FILLER), dtype=np.uint8 if self.codes else _UTF16)
        for ch in bmp:
            code_of[ord(ch)] = ord(self.codes[ord(ch)]) if self.codes else ord(ch)
        code_of[ord(" ")] = ord(" ")
        chars = np.frombuffer(match_chars().encode("utf-16-le", "surrogatepass"), _UTF16)
        self.table = code_of[chars]
        # A line break is matched as |, which a `not_in` word may hold: not between fields.
        self.line_break_is_letter = "|" in letters

    def lookup_text(self, article: _Article) -> str:
        """The lookup text of the article's fields, with _FILLER between them."""
        if self.table is not None:
            spaced = article.spaced
            for ch in self.context_cased:
                if ch in spaced:
                    return self._lookup_slowly(article)
            data = spaced.encode("utf-16-le", "surrogatepass")
            if len(data) == 2 * len(spaced):  # nothing outside the BMP
                codes = self.table.take(np.frombuffer(data, _UTF16))
                if self.line_break_is_letter:
                    codes[[offset - 1 for offset in article.offsets[1:]]] = ord(_FILLER)
                return codes.tobytes().decode(self.decoding)
        return self._lookup_slowly(article)

    def _lookup_slowly(self, article: _Article) -> str:
        """The lookup text made from the matched texts (for texts `table` cannot do)."""
        text = _FILLER.join(norm.text for norm in article.norms)
        if self.codes is None:
            return text  # characters in no key stay as they are: they match nothing either
        # Characters above U+00FF cannot be taken for a byte code: only the others must go.
        table = dict.fromkeys(range(256), _FILLER) | {ord(" "): " "} | self.codes
        return text.translate(table)


# A soft character (so in no key and in no matched text) standing for every character that
# is in no key, and one that never follows it: the key _FILLER + _NEVER never matches but
# puts _FILLER first among the root's children.  pyahocorasick looks a character up among a
# node's children one by one, and at the root that is every character of the text.
_FILLER, _NEVER = "\x00", "\x01"
_UTF16 = np.dtype("<u2")
# Byte codes for letters: not _FILLER or _NEVER, and nothing pyahocorasick could take for a space.
_BYTE_CODES = [code for code in range(2, 256) if not chr(code).isspace()]

# The word-boundary check a term's hits need: none; no space inside (a two-letter term with
# no other guard); or `_passes`.
_ANY, _SOLID, _CHECK = range(3)


def _guard(info: TermInfo) -> int:
    if not info.checked:
        return _ANY
    if info.splits == frozenset() and not (info.word_start or info.latin_start or info.latin_end):
        return _SOLID
    return _CHECK


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
        # Per term: the word-boundary check its hits need (_ANY, _SOLID or _CHECK, see below),
        # and for the automaton: _CHECK too when the term has `not_in` words.
        self._guards = [_guard(info) for info in self.terms]
        blockable = {index for ts in (self._concepts, self._context) for values in ts.entries.values()
                     for layer, index in values if layer == NOT_IN}  # fmt: skip
        kinds = [_CHECK if i in blockable else guard for i, guard in enumerate(self._guards)]
        self._concepts.build(kinds)
        self._context.build(kinds)
        # Per term, for scoring: owner (group id, exclusion index or "home"), weight, name.
        self.owners = [info.owner for info in self.terms]
        self.weights = [info.weight for info in self.terms]
        self.shown = [info.shown for info in self.terms]
        self.hit_groups = [  # TermHit.group
            HOME_GROUP if info.layer in (HOME, DISTRICT) else info.owner for info in self.terms
        ]

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

    def _find(self, terms: _TermSet, article: _Article) -> list[list[Hit]] | None:
        """Per field, the hits of `terms` that pass every guard and are not inside one of
        their term's `not_in` words (None when there are none)."""
        out: list[list[Hit]] = [[], [], []]
        later: list[tuple[int, int, int, int, int]] = []  # start, end, length, term, field
        blocked: dict[int, list[tuple[int, int]]] = {}
        offsets = article.offsets
        text = ""
        if terms.automaton is not None:
            text = terms.lookup_text(article)
            # Hits come by their end: field k until `limit`, where field k + 1 starts.
            k, offset, limit = 0, 0, offsets[1]
            name, field_out = FIELDS[0], out[0]
            hits = terms.automaton.iter(text, ignore_white_space=True)
            for last, (length, anyway, if_solid, to_check, blocks) in hits:
                end = last + 1
                while end > limit:
                    k += 1
                    offset, name, field_out = offsets[k], FIELDS[k], out[k]
                    limit = offsets[k + 1] if k < 2 else len(text)
                first = end - length
                solid = first >= 0 and " " not in text[first:end]
                if not solid:
                    first = start_of(text, last, length)
                for index in anyway:
                    field_out.append((first - offset, end - offset, index, name))
                if solid:
                    for index in if_solid:
                        field_out.append((first - offset, end - offset, index, name))
                for index in to_check:
                    later.append((first, end, length, index, k))
                if blocks:
                    for index in blocks:
                        blocked.setdefault(index, []).append((first, end))
        if terms.regexes:
            text = text or _FILLER.join(norm.text for norm in article.norms)
            for k, norm in enumerate(article.norms):
                if norm.spaced:
                    offset = offsets[k]
                    later.extend(
                        (s + offset, e + offset, -1, index, k)
                        for s, e, index in _regex_hits(terms.regexes, norm)
                    )
        if later:
            guards, spaced, terms_info = self._guards, article.spaced, self.terms
            for start, end, length, index, k in later:
                if index in blocked and any(s <= start and end <= e for s, e in blocked[index]):
                    continue
                guard = guards[index]
                if guard == _SOLID:
                    if end - start != length:
                        continue
                elif guard == _CHECK:
                    if not _passes(terms_info[index], spaced, text, start, end, length):
                        continue
                offset = offsets[k]
                out[k].append((start - offset, end - offset, index, FIELDS[k]))
        return out if out[0] or out[1] or out[2] else None

    def _scan(self, article: _Article) -> dict[str, FieldHits]:
        """The article's fields with the concept hits that pass every guard."""
        title, subtitle, body = article.norms
        fields = {
            "title": FieldHits("title", title),
            "subtitle": FieldHits("subtitle", subtitle),
            "body": FieldHits("body", body),
        }
        found = self._find(self._concepts, article)
        if found:
            owners = self.owners
            for fld, hits in zip(fields.values(), found, strict=True):
                if not hits:
                    continue
                groups = fld.groups
                for hit in outermost(hits):
                    owner = owners[hit[2]]
                    if owner in groups:
                        groups[owner].append(hit)
                    else:
                        groups[owner] = [hit]
        return fields

    def _scan_context(self, article: _Article, fields: dict[str, FieldHits]) -> None:
        """Add the exclusion and home-region hits of each field."""
        found = self._find(self._context, article)
        if not found:
            return
        terms = self.terms
        for fld, hits in zip(fields.values(), found, strict=True):
            places: list[Hit] = []
            excludes: list[Hit] = []
            for hit in hits:
                (excludes if terms[hit[2]].layer == EXCLUDE else places).append(hit)
            for hit in outermost(places):
                (fld.home if terms[hit[2]].layer == HOME else fld.districts).append(hit)
            for hit in sorted(excludes):
                fld.excludes.setdefault(terms[hit[2]].owner, []).append(hit)

    # --- scoring ---------------------------------------------------------------------------

    def match(self, title: str, body: str, subtitle: str = "") -> MatchResult:
        """Score one article (title, optional subtitle, body) against the watchlist."""
        return self.verdict(title, body, subtitle).result()

    def verdict(self, title: str, body: str, subtitle: str = "") -> Verdict:
        """The article's hits and fired rules, for a result or an explanation (`explain`)."""
        article = _Article(
            normalize(title) if title else _EMPTY,
            normalize(subtitle) if subtitle else _EMPTY,
            normalize(body) if body else _EMPTY,
        )
        fields = self._scan(article)
        verdict = Verdict(self, fields)
        if verdict.fired:
            self._scan_context(article, fields)
        return verdict


_EMPTY = normalize("")


class _Article:
    """An article's normalised fields (title, subtitle, body), looked up in as one text.

    The fields' NFKC texts are joined with a line break (`spaced`; _FILLER in the lookup
    text, which no key has); positions in the joined text are field positions plus the
    field's offset.  A character before or after a field is then a line break rather than
    nothing: the same for the word-boundary guards.
    """

    __slots__ = ("norms", "offsets", "spaced")

    def __init__(self, title: Normalized, subtitle: Normalized, body: Normalized) -> None:
        self.norms = (title, subtitle, body)
        t, s = len(title.spaced), len(subtitle.spaced)
        self.offsets = (0, t + 1, t + s + 2)
        self.spaced = f"{title.spaced}\n{subtitle.spaced}\n{body.spaced}"


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


def _passes(info: TermInfo, spaced: str, text: str, start: int, end: int, length: int) -> bool:
    """The word-boundary guards of one hit of `length` letters in `text` (which has the spaces
    of the matched text; `spaced` is the NFKC text, for the characters around the hit)."""
    if (
        info.splits is not None
        and end - start != length
        and any(k not in info.splits for k in splits(text, start, end))
    ):
        return False
    before = spaced[start - 1] if start > 0 else ""
    if info.word_start and before and before.isalnum():
        return False
    if info.latin_start and before and before.isascii() and before.isalnum():
        return False
    if info.latin_end and end < len(spaced):
        after = spaced[end]
        return not (after.isascii() and after.isalnum())
    return True


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
