"""Rules, score and explanation of one article (the rules are described in `engine`)."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from crawler.korean import Normalized
from crawler.match.hits import (
    DISTRICT,
    FIELDS,
    HOME,
    HOME_GROUP,
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


PASSING_MIN_BODY = 4  # body length, in units of context_within, below which no mention is 'passing'


class Verdict:
    """The evaluation of one article: fired rules, counted groups, score and explanation."""

    def __init__(self, matcher: Matcher, fields: dict[str, FieldHits]) -> None:
        self.m = matcher
        self.w = matcher.watchlist
        self.fields = fields
        self.fired: list[int] = []
        self.rule_hits: set[Hit] = set()
        present = {gid for f in fields.values() for gid in f.groups}
        for i, rule, slots, slot_sets in matcher.rules:
            if any(s.isdisjoint(present) for s in slot_sets):
                continue
            hits = self._rule_hits(slots, rule.within)
            if hits:
                self.fired.append(i)
                self.rule_hits |= hits

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
        """Build the MatchResult with score, explanation and snippets."""
        w = self.w
        by_field = {
            name: sorted(h for hits in f.groups.values() for h in hits)
            for name, f in self.fields.items()
        }
        in_order = [h for name in FIELDS for h in by_field[name]]
        terms = self.m.terms
        matched_groups = unique(terms[h.term].owner for h in in_order)
        matched_terms = unique(terms[h.term].shown for h in in_order)
        score, rule, excluded, context = self._score()
        for name, f in self.fields.items():
            by_field[name] = sorted([*by_field[name], *f.home, *f.districts])
        snippet_title, snippet_body, hits = self._highlights(by_field, context)
        return MatchResult(
            watchlist=w.id,
            score=round(score, 2),
            threshold=w.threshold,
            rule=rule,
            groups=matched_groups,
            terms=matched_terms,
            hits=hits,
            excluded_by=excluded,
            snippet_title=snippet_title,
            snippet_body=snippet_body,
        )

    def _score(self) -> tuple[float, str, list[str], set[Hit]]:
        """Score, explanation, triggered exclusions and context hits."""
        w, s = self.w, self.w.score
        if not self.fired:
            groups = unique(g for f in self.fields.values() for g in f.groups)
            reason = "no rule fired" + (f"; matched groups: {', '.join(groups)}" if groups else "")
            return 0.0, reason, [], set()
        terms = self.m.terms
        rule_groups = {terms[h.term].owner for h in self.rule_hits}
        context = self._context_hits(rule_groups)
        counted = self.rule_hits | context
        weights: dict[str, float] = {}
        for hit in counted:
            info = terms[hit.term]
            weights[info.owner] = max(weights.get(info.owner, 0.0), info.weight)
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
            anchors = Anchors(h for h in self.rule_hits if h.field == fld.name)
            if not anchors.hits:
                continue
            for gid, hits in fld.groups.items():
                if gid not in rule_groups:
                    out.update(h for h in hits if anchors.near(h, within))
        return out

    def _extras(self) -> list[tuple[str, float]]:
        """Title/subtitle boost, repetition and home region, each with its label."""
        s, out = self.w.score, []
        if any(h.field == "title" for h in self.rule_hits) and s.title_boost:
            out.append(("title", s.title_boost))
        elif any(h.field == "subtitle" for h in self.rule_hits) and s.subtitle_boost:
            out.append(("subtitle", s.subtitle_boost))
        body = [h for h in self.rule_hits if h.field == "body"]
        extra = len(body) - len({self.m.terms[h.term].owner for h in body})
        if extra > 0 and s.repeat_bonus:
            value = round(min(s.repeat_cap, s.repeat_bonus * math.log2(1 + extra)), 2)
            out.append((f"repetition ({extra} more)", value))
        home = self.w.home
        if home:
            if any(f.home for f in self.fields.values()) and home.boost:
                out.append((f"home {home.name}", home.boost))
            elif any(f.districts for f in self.fields.values()) and home.district_boost:
                out.append((f"district of {home.name}", home.district_boost))
        return out

    def _passing_mention(self) -> bool:
        """True when a long article names the subject once, in the body only (a résumé line, an aside):
        one cluster of rule hits, nothing in the title or subtitle, and most of the body about something else."""
        if any(h.field != "body" for h in self.rule_hits):
            return False
        within = self.w.score.context_within
        if len(self.fields["body"].norm.spaced) < PASSING_MIN_BODY * within:
            return False  # a short item is all about what it names
        starts = [h.start for h in self.rule_hits]
        return max(starts) - min(starts) <= within

    def _only_in_lists(self) -> bool:
        """True when every rule hit is an item of a list in the body."""
        if any(h.field != "body" for h in self.rule_hits):
            return False
        norm = self.fields["body"].norm
        return all(_in_list(norm, h) for h in self.rule_hits)

    def _exclusions(self) -> list[tuple[str, float]]:
        """Exclusions that apply, with their penalties."""
        out = []
        for i, excl in enumerate(self.w.exclude):
            hits = [h for f in self.fields.values() for h in f.excludes.get(str(i), [])]
            if not hits:
                continue
            if excl.within is not None and not self._near(hits, excl.within):
                continue
            out.append((excl.name, excl.penalty))
        return out

    def _near(self, hits: list[Hit], within: int) -> bool:
        """True when an exclusion hit is in the title or subtitle, or near a rule hit of its field."""
        if any(h.field != "body" for h in hits):
            return True
        anchors = Anchors(a for a in self.rule_hits if a.field == "body")
        return any(anchors.near(h, within) for h in hits)

    # --- explanation ---------------------------------------------------------------------

    def _highlights(
        self, by_field: dict[str, list[Hit]], context: set[Hit]
    ) -> tuple[str, str, list[TermHit]]:
        """Snippets with markers and TermHits in the original text's positions."""
        term_hits: list[TermHit] = []
        spans: dict[str, list[tuple[int, int, float]]] = defaultdict(list)
        terms, rule_hits = self.m.terms, self.rule_hits
        for name in FIELDS:
            norm = self.fields[name].norm
            field_spans = spans[name]
            for hit in by_field[name]:
                info = terms[hit.term]
                d_start, d_end = norm.to_display(hit.start, hit.end)
                o_start, o_end = norm.display_to_source(d_start, d_end)
                group = HOME_GROUP if info.layer in (HOME, DISTRICT) else info.owner
                term_hits.append(TermHit(info.shown, group, name, o_start, o_end))
                weight = 3.0 if hit in rule_hits else 2.0 if hit in context else 1.0
                field_spans.append((d_start, d_end, weight))
        title = title_snippet(self.fields["title"].norm.display, spans["title"])
        # Without a fired rule there is no passage to show: the lead will do (and is cheaper).
        body_spans = spans["body"] if self.fired else []
        body = body_snippet(self.fields["body"].norm.display, body_spans)
        return title, body, term_hits


def _windows(fld: FieldHits, slots: list[tuple[str, ...]], within: int) -> set[Hit]:
    """Hits of `fld` in stretches of at most `within` characters that cover every slot."""
    tagged = sorted(
        (h, k) for k, slot in enumerate(slots) for gid in slot for h in fld.groups.get(gid, ())
    )
    counts = [0] * len(slots)
    found: list[Hit] = []
    left, marked = 0, 0  # tagged[:marked] are already in `found`
    for right, (hit, slot) in enumerate(tagged):
        counts[slot] += 1
        while tagged[left][0].start < hit.end - within:
            counts[tagged[left][1]] -= 1
            left += 1
        if all(counts):
            found.extend(h for h, _ in tagged[max(left, marked) : right + 1])
            marked = right + 1
    return set(found)


def _in_list(norm: Normalized, hit: Hit) -> bool:
    """True when the hit is a short item of a list: `▲A ▲B ▲C ▲D`, `A·B·C·D`, bulleted lines."""
    text = norm.spaced
    start, end = hit.start, hit.end
    p_start, p_end = _passage(text, start, end)
    passage = text[p_start:p_end]
    if passage.lstrip()[:1] in _BULLETS and _bulleted_neighbour(text, p_start, p_end):
        return _short(passage)
    items = _LIST_SEPARATOR_RE.split(passage)
    if len(items) < _LIST_MIN_ITEMS:
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
