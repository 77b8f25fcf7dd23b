"""Explanations a person can check: `newswatch classify --explain`, `watchlist test --labels`.

Per article: each rule that fired, in words (its groups' labels with the terms that hit), the
sentence that carried it (its terms in [brackets]), and every exclusion of the watchlist with
whether it applied and why (its terms absent, too far from the subject, overruled by an
`unless` group close by, or applied).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from crawler.jsonl import read_objects, report
from crawler.match.engine import Matcher, article_texts, classify_line
from crawler.match.hits import Hit
from crawler.match.scoring import ABSENT, Verdict, _passage, unique

SENTENCE_MAX = 240  # characters of a carrying sentence shown


@dataclass(frozen=True)
class FiredRule:
    """One rule that fired: its name, what it required in words, and the sentence."""

    name: str
    words: str
    field: str
    sentence: str


@dataclass(frozen=True)
class ExclusionNote:
    """One exclusion considered."""

    name: str
    applied: bool
    why: str


@dataclass
class Explanation:
    """Why an article got its score."""

    relevant: bool
    score: float
    threshold: float
    summary: str
    rules: list[FiredRule] = field(default_factory=list)
    exclusions: list[ExclusionNote] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The explanation as plain JSON values."""
        return {
            "summary": self.summary,
            "rules": [asdict(r) for r in self.rules],
            "exclusions": [asdict(e) for e in self.exclusions],
        }

    def lines(self) -> list[str]:
        """The explanation as indented text lines, for a terminal."""
        verdict = "relevant" if self.relevant else "not relevant"
        out = [f"  score {self.score:g} (threshold {self.threshold:g}): {verdict}"]
        if not self.rules:
            out.append(f"  {self.summary}; exclusions not considered")
            return out
        out.append(f"  how: {self.summary}")
        for rule in self.rules:
            out.append(f"  rule: {rule.words}")
            out.append(f"    carried by ({rule.field}): {rule.sentence}")
        absent = []
        for note in self.exclusions:
            if note.why == ABSENT:
                absent.append(note.name)
                continue
            mark = "applied" if note.applied else "not applied"
            out.append(f"  exclusion {note.name}: {mark} — {note.why}")
        if absent:
            out.append(f"  exclusions with none of their terms here: {', '.join(absent)}")
        return out


def explain(matcher: Matcher, title: str, body: str, subtitle: str = "") -> Explanation:
    """Score one article and say why, rule by rule and exclusion by exclusion."""
    verdict = matcher.verdict(title, body, subtitle)
    result = verdict.result()
    out = Explanation(result.relevant, result.score, result.threshold, result.rule)
    if not verdict.fired:
        return out
    for i in verdict.fired:
        out.rules.append(_fired_rule(verdict, i))
    for check in verdict.exclusion_checks():
        out.exclusions.append(ExclusionNote(check.name, check.applies, check.reason))
    return out


def _fired_rule(verdict: Verdict, i: int) -> FiredRule:
    """Rule `i` in words, and the sentence holding its first hits."""
    w, m = verdict.w, verdict.m
    rule = w.rules[i]
    hits = sorted(verdict._rule_hits(rule.slots, rule.within), key=_reading_order)
    # In words, the hits of the field that carried the rule when it holds them all.
    own = [h for h in hits if h[3] == hits[0][3]]
    if all(any(m.owners[h[2]] in slot for h in own) for slot in rule.slots):
        hits = own
    parts = []
    for slot in rule.slots:
        slot_hits = [h for h in hits if m.owners[h[2]] in slot]
        labels = unique(w.groups[m.owners[h[2]]].label or m.owners[h[2]] for h in slot_hits)
        terms = unique(m.shown[h[2]] for h in slot_hits)
        parts.append(f"{' / '.join(labels)} ({', '.join(terms)})")
    words = f"{rule.name or 'rule ' + str(i + 1)}: " + " + ".join(parts)
    if rule.within:
        words += f", within {rule.within} characters"
    first = hits[0]
    return FiredRule(rule.name, words, first[3], _sentence(verdict, first, hits))


def _reading_order(hit: Hit) -> tuple[int, int]:
    """Title, then subtitle, then body; in each, by position."""
    return ({"title": 0, "subtitle": 1}.get(hit[3], 2), hit[0])


def _sentence(verdict: Verdict, first: Hit, hits: list[Hit]) -> str:
    """The sentence around `first`, with the rule's hits in it marked [like this]."""
    text = verdict.fields[first[3]].norm.spaced
    start, end = _passage(text, first[0], first[1])
    clipped_start, clipped_end = start < first[0] - SENTENCE_MAX // 3, end > first[0] + SENTENCE_MAX
    if clipped_start:
        start = first[0] - SENTENCE_MAX // 3
    if clipped_end:
        end = first[0] + SENTENCE_MAX * 2 // 3
    marks = sorted((h[0], h[1]) for h in hits if h[3] == first[3] and start <= h[0] and h[1] <= end)
    pieces, at = [], start
    for s, e in marks:
        if s < at:
            continue  # overlapping hits: the first one is marked
        pieces += [text[at:s], "[", text[s:e], "]"]
        at = e
    pieces.append(text[at:end])
    sentence = " ".join("".join(pieces).split())
    return ("…" if clipped_start else "") + sentence + ("…" if clipped_end else "")


def explain_lines(
    matcher: Matcher, inp: TextIO, out: TextIO, err: TextIO, as_json: bool = False
) -> int:
    """`classify --explain`: each line's verdict and why, as text blocks or JSON lines."""
    bad = 0
    for n, obj in read_objects(inp, err):
        if obj is None:
            bad += 1
            continue
        try:
            line = classify_line(matcher, obj)
            title, body, subtitle = article_texts(obj)
        except (ValueError, KeyError, TypeError) as exc:
            report(err, n, f"{type(exc).__name__}: {exc}")
            bad += 1
            continue
        explanation = explain(matcher, title, body, subtitle)
        if as_json:
            out.write(
                json.dumps({**line, "explain": explanation.as_json()}, ensure_ascii=False) + "\n"
            )
        else:
            out.write("\n".join([f"{obj['id']}: {title[:80]}", *explanation.lines(), "", ""]))
    return 1 if bad else 0
