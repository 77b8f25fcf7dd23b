"""Rules, score and explanation of one article (the rules are described in `engine`)."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from crawler.korean import Normalized
from crawler.match.hits import (
    FIELDS,
    Anchors,
    FieldHits,
    Hit,
)
from crawler.match.snippet import body_snippet, title_snippet
from crawler.types import MatchResult, TermHit

if TYPE_CHECKING:
    from crawler.match.engine import Matcher

_LIST_SEPARATORS = "·ㆍ‧•∙・,/▲△■□◆◇●○◎▶▷►|、;"
_BULLETS = "-*•·ㆍ▲△■□◆◇●○◎▶▷►※①②③④⑤⑥⑦⑧⑨⑩"
_LIST_SEPARATOR_RE = re.compile("[" + re.escape(_LIST_SEPARATORS) + "]")
_SENTENCE_END_RE = re.compile(r"[.!?。](?=\s|$)|\n")
_LIST_ITEM_MAX = 20  # characters (spaces not counted) of a list item
_LIST_MIN_ITEMS = 4
# "A, B, C 등 …": three items are a list when the last is a short word closed by 등 (and so on)
_ENUMERATION_END_RE = re.compile(r"\s*\S{1,12}\s*등(?:\s|$|의|을|이)")


HOME_LEAD = 2  # the body's lead, in units of context_within, where a home name says where the story is
# max_penalty counts per term when the context has at least this many hits per rule hit
DOMINANT_SHARE = 0.5
PASSING_MIN_BODY = 4  # body length, in units of context_within, below which no mention is 'passing'


def _deferred_field(name: str) -> property:
    """A MatchResult field whose value is made when it is first read (or set)."""

    def get(self: DeferredMatchResult) -> object:
        values = self.__dict__
        if name not in values:
            self._make()
        return values[name]

    def set_(self: DeferredMatchResult, value: object) -> None:
        self.__dict__[name] = value

    return property(get, set_, doc=f"MatchResult.{name}, made when first read")


class DeferredMatchResult(MatchResult):
    """A MatchResult whose hits and snippets are made when one of them is first read.

    Most articles match nothing, and the positions, TermHits and snippets of their hits
    are mostly never looked at (`newswatch classify`, rematching, relevance tests), so
    `Matcher.match` leaves them to be made on demand, from the article's normalised
    fields — the same values, made later.  Everything else is a plain MatchResult: the
    fields and `explanation()` read alike, it compares equal to a MatchResult with the
    same values, and it pickles and copies as a plain MatchResult (values made first).
    """

    __qualname__ = "MatchResult"  # the dataclass repr names the class

    hits = _deferred_field("hits")
    snippet_title = _deferred_field("snippet_title")
    snippet_body = _deferred_field("snippet_body")

    @classmethod
    def deferred(
        cls, values: dict[str, object], make: Callable[[], dict[str, object]]
    ) -> DeferredMatchResult:
        """A result with `values` now and the deferred fields from `make()` when first read."""
        result = cls.__new__(cls)
        result.__dict__.update(values)
        result.__dict__["_make_deferred"] = make
        return result

    def _make(self) -> None:
        values = self.__dict__
        make = values.get("_make_deferred")
        if make is None:  # made already
            return
        for name, value in make().items():
            values.setdefault(name, value)  # a value set before the first read stays
        values.pop("_make_deferred", None)  # (last: another thread may be reading now)

    def __reduce__(self) -> tuple[object, ...]:
        return (MatchResult, tuple(getattr(self, f.name) for f in dataclasses.fields(MatchResult)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MatchResult):
            return NotImplemented
        return all(
            getattr(self, f.name) == getattr(other, f.name) for f in dataclasses.fields(MatchResult)
        )

    __hash__ = None  # type: ignore[assignment]


ABSENT = "none of its terms occurs"  # why an exclusion with no hit does not apply


@dataclasses.dataclass(frozen=True)
class ExclusionCheck:
    """One exclusion considered for an article: whether it applies, and why in words."""

    name: str
    penalty: float
    applies: bool
    reason: str
    hits: tuple[Hit, ...] = ()


class Verdict:
    """The evaluation of one article: fired rules, counted groups, score and explanation."""

    def __init__(self, matcher: Matcher, fields: dict[str, FieldHits]) -> None:
        self.m = matcher
        self.w = matcher.watchlist
        self.fields = fields
        self.fired: list[int] = []
        self.rule_hits: set[Hit] = set()
        self.rule_by_field: dict[str, list[Hit]] = {name: [] for name in FIELDS}
        # The groups with a hit, in the order of their first hits (each field's groups are
        # keyed in that order).
        groups: list[str] = []
        for f in fields.values():
            if f.groups:
                groups += f.groups
        self.groups = unique(groups)
        if not groups:
            return
        present = set(groups)
        for i, rule, slots, slot_sets in matcher.rules:
            for slot_set in slot_sets:
                if slot_set.isdisjoint(present):
                    break
            else:
                hits = self._rule_hits(slots, rule.within)
                if hits:
                    self.fired.append(i)
                    self.rule_hits |= hits
        for h in self.rule_hits:
            self.rule_by_field[h[3]].append(h)

    def _rule_hits(self, slots: list[tuple[str, ...]], within: int | None) -> set[Hit]:
        """The hits that make a rule fire (empty when it does not); every slot has a hit."""
        found: set[Hit] = set()
        if within is None:
            for fld in self.fields.values():
                for slot in slots:
                    for gid in slot:
                        found.update(fld.groups.get(gid, ()))
            return found
        for fld in self.fields.values():
            if all(any(gid in fld.groups for gid in slot) for slot in slots):
                found |= _windows(fld, slots, within)
        return found

    # ---

    def result(self) -> MatchResult:
        """The MatchResult: score and explanation now; hits and snippets when first read."""
        w = self.w
        score, rule, excluded, context = self._score()
        return DeferredMatchResult.deferred(
            {
                "watchlist": w.id,
                "score": round(score, 2),
                "threshold": w.threshold,
                "rule": rule,
                "groups": self.groups,
                "terms": self._terms() if self.groups else [],
                "excluded_by": excluded,
            },
            lambda: self._highlights(context),
        )

    def _hits_in_order(self, fld: FieldHits) -> list[Hit]:
        """A field's concept hits, sorted."""
        groups = fld.groups
        if len(groups) > 1:
            return sorted([h for hits in groups.values() for h in hits])
        return next(iter(groups.values()), [])  # one group's hits are sorted already

    def _terms(self) -> list[str]:
        """The distinct matched terms in the order of their first hits."""
        shown = self.m.shown
        out: list[str] = []
        for fld in self.fields.values():
            if fld.groups:
                out += [shown[h[2]] for h in self._hits_in_order(fld)]
        return unique(out)

    def _score(self) -> tuple[float, str, list[str], set[Hit]]:
        """Score, explanation, triggered exclusions and context hits."""
        w, s = self.w, self.w.score
        if not self.fired:
            groups = self.groups
            reason = "no rule fired" + (f"; matched groups: {', '.join(groups)}" if groups else "")
            return 0.0, reason, [], set()
        owners, weight_of = self.m.owners, self.m.weights
        rule_groups = {owners[h[2]] for h in self.rule_hits}
        context = self._context_hits(rule_groups)
        counted = self.rule_hits | context
        weights: dict[str, float] = {}
        for hit in counted:
            owner, weight = owners[hit[2]], weight_of[hit[2]]
            weights[owner] = max(weights.get(owner, 0.0), weight)
        score = sum(weights.values())
        parts = [w.rules[i].describe() for i in self.fired]
        context_groups = sorted(set(weights) - rule_groups)
        if context_groups:
            parts.append("context: " + ", ".join(context_groups))
        bonus = max(w.rules[i].bonus for i in self.fired)
        if bonus:
            score += bonus
            parts.append(f"rule bonus +{bonus:g}")
        for label, value in self._extras():
            score += value
            parts.append(f"{label} +{value:g}")
        if self._only_in_lists():
            score *= s.list_factor
            parts.append(f"only in a list ×{s.list_factor:g}")
        elif self._passing_mention():
            score *= s.passing_factor
            parts.append(f"one passing mention in the body ×{s.passing_factor:g}")
        excluded = self._exclusions()
        for name, penalty in excluded:
            score -= penalty
            parts.append(f"excluded: {name} −{penalty:g}")
        return max(0.0, score), "; ".join(parts), [n for n, _ in excluded], context

    def _context_hits(self, rule_groups: set[str]) -> set[Hit]:
        """Hits of other groups close to a rule hit."""
        within = self.w.score.context_within
        out: set[Hit] = set()
        for fld in self.fields.values():
            rule_hits = self.rule_by_field[fld.name]
            if not rule_hits:
                continue
            anchors = Anchors(rule_hits)
            for gid, hits in fld.groups.items():
                if gid not in rule_groups:
                    out.update(h for h in hits if anchors.near(h, within))
        return out

    def _extras(self) -> list[tuple[str, float]]:
        """Title/subtitle boost, repetition and home region, each with its label."""
        s, out = self.w.score, []
        if self.rule_by_field["title"] and s.title_boost:
            out.append(("title", s.title_boost))
        elif self.rule_by_field["subtitle"] and s.subtitle_boost:
            out.append(("subtitle", s.subtitle_boost))
        body = self.rule_by_field["body"]
        owners = self.m.owners
        extra = len(body) - len({owners[h[2]] for h in body})
        if extra > 0 and s.repeat_bonus:
            value = round(min(s.repeat_cap, s.repeat_bonus * math.log2(1 + extra)), 2)
            out.append((f"repetition ({extra} more)", value))
        if s.brief_boost and self._brief():
            out.append(("a brief all about it", s.brief_boost))
        home = self.w.home
        if home:
            if home.boost and self._about_home("home"):
                out.append((f"home {home.name}", home.boost))
            elif home.district_boost and self._about_home("districts"):
                out.append((f"district of {home.name}", home.district_boost))
        return out

    def _brief(self) -> bool:
        """True when an untitled item is short: a caption or a one-paragraph brief is all about
        what it names, though it has no room to repeat it.  A titled short item says in its title
        what it is about (the title boost); one naming the subject only in its body mentions it
        in passing ("후보 공약: 관광 개발, 의료관광 …")."""
        if self.fields["title"].norm.spaced.strip() or self.fields["subtitle"].norm.spaced.strip():
            return False
        if not any(len(self.w.rules[i].slots) == 1 for i in self.fired):
            return False  # only the subject named itself (a rule of one group), not a combination
        chars = sum(len(f.norm.spaced) for f in self.fields.values())
        # a short list (a directory's entries, a plan's items) is not a brief about one of them
        return chars <= self.w.score.brief_chars and not self._only_in_lists()

    def _about_home(self, kind: str) -> bool:
        """True when the home region (or one of its districts) is where the story is: named in the
        title or subtitle, in the body's lead, or near the subject in the body. "서울과 인천 사이에"
        in a closing quote of a story about another city is not a story about 인천."""
        if any(getattr(self.fields[name], kind) for name in ("title", "subtitle")):
            return True
        hits: list[Hit] = getattr(self.fields["body"], kind)
        if not hits:
            return False
        within = self.w.score.context_within
        if hits[0][0] < HOME_LEAD * within:
            return True
        anchors = Anchors(self.rule_by_field["body"])
        return any(anchors.near(h, within) for h in hits)

    def _passing_mention(self) -> bool:
        """True when a long article names the subject once, in the body only (a résumé line, an aside):
        one cluster of rule hits, nothing in the title or subtitle, and most of the body about something else.

        A headline that names two of the fired rule's concepts ("사우디 환자 12명, 부산 병원서 치료":
        a foreign country and a patient, though no rule fires in those few words) says the article is
        about them: then the one cluster in the body is the story, not an aside."""
        if self.rule_by_field["title"] or self.rule_by_field["subtitle"]:
            return False
        if self._headline_names_the_rule():
            return False
        within = self.w.score.context_within
        if len(self.fields["body"].norm.spaced) < PASSING_MIN_BODY * within:
            return False  # a short item is all about what it names
        starts = [h[0] for h in self.rule_hits]
        return max(starts) - min(starts) <= within

    def _required_groups(self) -> set[str]:
        """The groups the fired rules require (any alternative of a slot)."""
        return {g for i in self.fired for slot in self.w.rules[i].slots for g in slot}

    def _headline_names_the_rule(self) -> bool:
        """True when the title or subtitle holds hits of two groups that a fired rule requires."""
        required = self._required_groups()
        for name in ("title", "subtitle"):
            fld = self.fields.get(name)
            if fld is not None and len(required.intersection(g for g, hits in fld.groups.items() if hits)) >= 2:
                return True
        return False

    def _only_in_lists(self) -> bool:
        """True when every rule hit is an item of a list in the body."""
        if self.rule_by_field["title"] or self.rule_by_field["subtitle"]:
            return False
        norm = self.fields["body"].norm
        return all(_in_list(norm, h) for h in self.rule_by_field["body"])

    def _exclusions(self) -> list[tuple[str, float]]:
        """Exclusions that apply, with their penalties."""
        return [(c.name, c.penalty) for c in self.exclusion_checks() if c.applies]

    def exclusion_checks(self) -> list[ExclusionCheck]:
        """Every exclusion of the watchlist, whether it applies and why (for explanations too)."""
        return [self._check_exclusion(i) for i in range(len(self.w.exclude))]

    def _check_exclusion(self, i: int) -> ExclusionCheck:
        """One exclusion: its hits, those an `unless` group overrules, and the verdict."""
        excl = self.w.exclude[i]
        shown = self.m.shown
        hits = [h for f in self.fields.values() for h in f.excludes.get(str(i), [])]
        if not hits:
            return ExclusionCheck(excl.name, excl.penalty, False, ABSENT)
        found = ", ".join(unique(shown[h[2]] for h in hits))
        every = len(hits)
        if excl.unless:
            kept, overruled = self._not_overruled(hits, excl.unless, excl.within)
            if not kept:
                return ExclusionCheck(
                    excl.name, excl.penalty, False,
                    f"{found} found, but {overruled} close to it says the subject is this after all",
                    tuple(hits),
                )  # fmt: skip
            hits = kept
        if excl.within is not None:
            near = self._near_hits(hits, excl.within)
            if not near:
                return ExclusionCheck(
                    excl.name, excl.penalty, False,
                    f"{found} found, but farther than {excl.within} characters from the subject",
                    tuple(hits),
                )  # fmt: skip
            hits = near
        where = "near the subject" if excl.within is not None else "in the article"
        penalty, reason = excl.penalty, f"{found} {where}"
        if excl.max_penalty is not None:
            # Each further term of the context says more surely what the article is about, when
            # the context fills the article about as much as the subject does: an aside about
            # exports at the end of a patient-agreement story keeps its one penalty.
            distinct = len({self.m.shown[h[2]].replace(" ", "") for h in hits})  # 의료봉사 = 의료 봉사
            if every >= DOMINANT_SHARE * len(self.rule_hits) and distinct > 1:
                penalty = min(excl.max_penalty, excl.penalty * distinct)
                reason += f" ({distinct} distinct terms, {every} hits against {len(self.rule_hits)} of the subject)"
        return ExclusionCheck(excl.name, penalty, True, reason, tuple(hits))

    def _not_overruled(
        self, hits: list[Hit], unless: list[str], within: int | None
    ) -> tuple[list[Hit], str]:
        """The exclusion hits with no hit of an `unless` group close by, and the overruling terms."""
        within = within if within is not None else self.w.score.context_within
        kept: list[Hit] = []
        overruling: list[str] = []
        for hit in hits:
            groups = self.fields[hit[3]].groups
            anchor = Anchors([hit])
            near = [h for gid in unless for h in groups.get(gid, ()) if anchor.near(h, within)]
            if near:
                overruling += [self.m.shown[h[2]] for h in near]
            else:
                kept.append(hit)
        return kept, ", ".join(unique(overruling))

    def _near_hits(self, hits: list[Hit], within: int) -> list[Hit]:
        """The exclusion hits in the title or subtitle, or near the subject in the body.

        The subject in the body is where a rule fired there. When the rules fired only in the
        headline ("외국인 관광객 병원行" over a body that tells of a car crash), it is the body's hits of
        the fired rules' groups; a body with none of them is all about the headline, so an
        exclusion anywhere in it applies."""
        framing = [h for h in hits if h[3] != "body"]
        body_hits = [h for h in hits if h[3] == "body"]
        anchor_hits = self.rule_by_field["body"]
        if not anchor_hits:
            body = self.fields["body"].groups
            anchor_hits = [h for g in self._required_groups() for h in body.get(g, ())]
            if not anchor_hits:
                return hits
        if framing:  # the title or subtitle frames the whole article: every hit counts
            return hits
        anchors = Anchors(anchor_hits)
        return [h for h in body_hits if anchors.near(h, within)]

    # --- explanation ---------------------------------------------------------------------

    def _highlights(self, context: set[Hit]) -> dict[str, object]:
        """Snippets with markers, and TermHits in the original text's positions."""
        by_field: dict[str, list[Hit]] = {}
        for name, f in self.fields.items():
            by_field[name] = self._hits_in_order(f)
            if f.home or f.districts:
                by_field[name] = sorted([*by_field[name], *f.home, *f.districts])
        term_hits: list[TermHit] = []
        spans: dict[str, list[tuple[int, int, float]]] = {name: [] for name in FIELDS}
        shown, hit_groups, rule_hits = self.m.shown, self.m.hit_groups, self.rule_hits
        for name in FIELDS:
            hits = by_field[name]
            if not hits:
                continue
            norm = self.fields[name].norm
            nfkc, markup = norm._nfkc, norm._markup
            field_spans = spans[name]
            for hit in hits:
                start, end, index = hit[0], hit[1], hit[2]
                d_start, d_end = nfkc.span(start, end) if nfkc else (start, end)
                o_start, o_end = markup.span(d_start, d_end) if markup else (d_start, d_end)
                term_hits.append(TermHit(shown[index], hit_groups[index], name, o_start, o_end))
                weight = 3.0 if hit in rule_hits else 2.0 if hit in context else 1.0
                field_spans.append((d_start, d_end, weight))
        title = title_snippet(self.fields["title"].norm.display, spans["title"])
        # Without a fired rule there is no passage to show: the lead will do (and is cheaper).
        body_spans = spans["body"] if self.fired else []
        body = body_snippet(self.fields["body"].norm.display, body_spans)
        return {"hits": term_hits, "snippet_title": title, "snippet_body": body}


def _windows(fld: FieldHits, slots: list[tuple[str, ...]], within: int) -> set[Hit]:
    """Hits of `fld` in stretches of at most `within` characters that cover every slot."""
    groups = fld.groups
    # (start, end, term, slot, hit): sorts as the hits do (one field: no two alike)
    tagged: list[tuple[int, int, int, int, Hit]] = []
    for k, slot in enumerate(slots):
        for gid in slot:
            hits = groups.get(gid)
            if hits:
                tagged += [(h[0], h[1], h[2], k, h) for h in hits]
    tagged.sort()
    counts = [0] * len(slots)
    zeros = len(slots)  # how many counts are 0
    found: list[Hit] = []
    left, marked = 0, 0  # tagged[:marked] are already in `found`
    for right, (_, end, _, slot_index, _) in enumerate(tagged):
        count = counts[slot_index]
        counts[slot_index] = count + 1
        if count == 0:
            zeros -= 1
        limit = end - within
        # A hit longer than `within` (a term spaced out letter by letter) drops out of its own
        # window; `left` stops there, never past the hits not yet counted.
        while left <= right and tagged[left][0] < limit:
            k = tagged[left][3]
            counts[k] -= 1
            if counts[k] == 0:
                zeros += 1
            left += 1
        if not zeros:
            found += [t[4] for t in tagged[max(left, marked) : right + 1]]
            marked = right + 1
    return set(found)


def _in_list(norm: Normalized, hit: Hit) -> bool:
    """True when the hit is a short item of a list: `▲A ▲B ▲C ▲D`, `A·B·C·D`, bulleted lines."""
    text = norm.spaced
    start, end = hit[0], hit[1]
    p_start, p_end = _passage(text, start, end)
    passage = text[p_start:p_end]
    if passage.lstrip()[:1] in _BULLETS and _bulleted_neighbour(text, p_start, p_end):
        return _short(passage)
    items = _LIST_SEPARATOR_RE.split(passage)
    # A term written across a separator ("의료·관광 협력") is one word, not two items of a list.
    spanned = len(_LIST_SEPARATOR_RE.findall(text, start, end))
    if spanned:
        first = len(_LIST_SEPARATOR_RE.findall(passage, 0, start - p_start))
        items[first : first + spanned + 1] = ["·".join(items[first : first + spanned + 1])]
    enumeration = len(items) == _LIST_MIN_ITEMS - 1 and _ENUMERATION_END_RE.match(items[-1]) is not None
    if len(items) < _LIST_MIN_ITEMS and not enumeration:
        return False
    offset = p_start
    for item in items:
        if offset <= start < offset + len(item) + 1:
            return _short(item)
        offset += len(item) + 1
    return False


def _passage(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence or line around [start, end)."""
    before = [m.end() for m in _SENTENCE_END_RE.finditer(text, max(0, start - 400), start)]
    p_start = before[-1] if before else max(0, start - 400)
    after = _SENTENCE_END_RE.search(text, end, end + 400)
    return p_start, (after.start() if after else min(len(text), end + 400))


def _bulleted_neighbour(text: str, p_start: int, p_end: int) -> bool:
    """True when the line before or after also starts with a bullet."""
    prev_line = text[:p_start].rstrip("\n").rsplit("\n", 1)[-1]
    next_line = text[p_end:].lstrip("\n").split("\n", 1)[0]
    return any(line.lstrip()[:1] in _BULLETS and line.strip() for line in (prev_line, next_line))


def _short(item: str) -> bool:
    return len("".join(item.split())) <= _LIST_ITEM_MAX


def unique(values: Iterable[str]) -> list[str]:
    """Distinct values in first-seen order."""
    return list(dict.fromkeys(values))
