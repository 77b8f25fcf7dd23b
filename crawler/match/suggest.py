"""`newswatch watchlist suggest ID`: the smallest watchlist change that fixes labelled misses.

Proposes, never applies.  Candidates are one-line edits of the watchlist file:

- an exclusion context: a word found near the subject in a story the office labelled not
  relevant, added to one exclusion's terms;
- a term's weight: a group's weight one step up (for missed stories) or down (for unwanted ones);
- a rule's proximity: a rule's `within` widened (missed) or narrowed (unwanted).

Each candidate is scored on the labelled stories (misses fixed, right answers broken) and the
best few on the real dev set (`realset`), where it must not lower precision or recall.  The
winner is printed as a unified diff of the TOML file with the figures before and after.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from crawler.match import realset
from crawler.match.engine import Matcher
from crawler.match.evaluate import Evaluation
from crawler.match.labels import LabelledStory, evaluate_labels
from crawler.match.watchlist import Watchlist, WatchlistError, _check

WEIGHT_STEP = 0.5
WITHIN_STEP = 0.5  # a rule's `within` × (1 ± this)
DEV_CHECKED = 5  # how many of the best candidates are checked on the dev set
# Particles and endings stripped from a word before it is proposed as a term (terms match
# as substrings, so the stem finds every inflected form).
_ENDINGS = re.compile(
    r"(?:에서는|에서|으로는|으로|에게|께서|까지|부터|처럼|보다|이나|이라|라는|이라는|하는|했다|한다|"
    r"들은|들이|들을|들의|은|는|이|가|을|를|의|에|로|와|과|도|만|들)$"
)
_HANGUL_WORD = re.compile(r"^[가-힣]{2,8}$")


@dataclass(frozen=True)
class Candidate:
    """One proposed edit: what it does in words and the edited watchlist text."""

    kind: str
    description: str
    text: str


@dataclass
class Scored:
    """A candidate with its effect on the labels (and on the dev set, when checked)."""

    candidate: Candidate
    labels: Evaluation
    fixed: int
    broken: int
    dev: Evaluation | None = None


def suggest(
    path: Path, watchlist: Watchlist, stories: list[LabelledStory], out: TextIO, dev: bool = True
) -> int:
    """Print the best change as a TOML diff with the figures; 0 when one is found, 1 when none."""
    source = path.read_text(encoding="utf-8")
    matcher = Matcher(watchlist)
    before = evaluate_labels(matcher, stories)
    misses = {m.id for m in before.misses}
    out.write(
        f"watchlist {watchlist.id}: {len(stories)} labelled stories, "
        f"{len(misses)} now wrong ({before.fp} matched but labelled not relevant, "
        f"{before.fn} labelled relevant but not matched)\n"
    )
    if not misses:
        out.write("nothing to fix: the watchlist agrees with every label\n")
        return 0
    right = [s for s in stories if s.id not in misses]
    wrong = [s for s in stories if s.id in misses]
    scored = []
    for cand in candidates(source, watchlist, matcher, wrong, right):
        try:
            edited = Matcher(_load(cand.text, watchlist.id))
        except WatchlistError:
            continue
        e = evaluate_labels(edited, stories)
        fixed = len(misses - {m.id for m in e.misses})
        broken = len({m.id for m in e.misses} - misses)
        if fixed > broken:
            scored.append(Scored(cand, e, fixed, broken))
    # most misses fixed net, then fewest right answers broken, then the gentlest kind of edit
    scored.sort(key=lambda s: (-(s.fixed - s.broken), s.broken, _KIND_ORDER[s.candidate.kind]))
    if not scored:
        out.write(
            "no single change fixes more labelled stories than it breaks; "
            "the misses need a new rule or group (see `watchlist test ID --labels`)\n"
        )
        return 1
    dev_before = _dev(matcher) if dev else None
    best = _pick(scored[:DEV_CHECKED], dev_before)
    if best is None:
        out.write(
            "every change that fixes labelled stories lowers the dev set's precision or recall; "
            "none proposed\n"
        )
        return 1
    _print(out, path, source, before, best, dev_before)
    return 0


_KIND_ORDER = {"exclusion": 0, "weight": 1, "within": 2, "new exclusion": 3}


def _pick(top: list[Scored], dev_before: Evaluation | None) -> Scored | None:
    """The first candidate that keeps the dev set's precision and recall (all of them without it)."""
    if dev_before is None:
        return top[0] if top else None
    for s in top:
        s.dev = _dev(Matcher(_load(s.candidate.text, "candidate")))
        if s.dev.precision >= dev_before.precision and s.dev.recall >= dev_before.recall:
            return s
    return None


def _dev(matcher: Matcher) -> Evaluation:
    return realset.evaluate(matcher, realset.dev_items())


def _load(text: str, watchlist_id: str) -> Watchlist:
    """A watchlist from edited TOML text (the same checks as a file)."""
    try:
        data = tomllib.loads(text)
        w = Watchlist.model_validate({**data, "id": watchlist_id})
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise WatchlistError(str(exc)) from exc
    problem = _check(w)
    if problem:
        raise WatchlistError(problem)
    return w


def _print(
    out: TextIO,
    path: Path,
    source: str,
    before: Evaluation,
    best: Scored,
    dev_before: Evaluation | None,
) -> None:
    after = best.labels
    out.write(f"\nproposed ({best.candidate.kind}): {best.candidate.description}\n")
    out.write(
        f"  labels:  precision {before.precision:.3f} -> {after.precision:.3f}, "
        f"recall {before.recall:.3f} -> {after.recall:.3f} "
        f"({best.fixed} fixed, {best.broken} broken)\n"
    )
    if dev_before is not None and best.dev is not None:
        out.write(
            f"  dev set: precision {dev_before.precision:.3f} -> {best.dev.precision:.3f}, "
            f"recall {dev_before.recall:.3f} -> {best.dev.recall:.3f} "
            f"({realset.DEV_DIR})\n"
        )
    else:
        out.write(f"  dev set: not checked ({realset.missing_reason() or 'skipped'})\n")
    out.write("\n")
    out.writelines(
        difflib.unified_diff(
            source.splitlines(keepends=True), best.candidate.text.splitlines(keepends=True),
            fromfile=str(path), tofile=f"{path} (proposed)",
        )
    )  # fmt: skip
    out.write(f"\nnot applied: edit {path} yourself, then `newswatch watchlist test ID --labels`\n")


# --- candidates ----------------------------------------------------------------------------


def candidates(
    source: str,
    w: Watchlist,
    matcher: Matcher,
    wrong: list[LabelledStory],
    right: list[LabelledStory],
) -> Iterator[Candidate]:
    """Every one-line edit worth trying for these misses."""
    unwanted = [s for s in wrong if s.label == 0]
    missed = [s for s in wrong if s.label == 1]
    if unwanted:
        relevant_text = [
            "".join(f"{s.title}{s.subtitle}{s.body}".split()) for s in right if s.label
        ]
        for word in _context_words(matcher, unwanted):
            if any(word in text for text in relevant_text):
                continue  # it would discount a story the office wants
            for i, excl in enumerate(w.exclude):
                text = _add_term(source, i, word)
                if text:
                    yield Candidate(
                        "exclusion", f"add {word!r} to the exclusion {excl.name!r}", text
                    )
            text = _new_exclusion(
                source, word, w.score.context_within, _needed_penalty(matcher, unwanted)
            )
            if text:
                yield Candidate("new exclusion", f"a new exclusion context {word!r}", text)
    fired_groups = _fired_groups(matcher, unwanted)
    near_groups = _hit_groups(matcher, missed)
    for gid, group in w.groups.items():
        if gid in near_groups:
            text = _set_group_weight(source, gid, group.weight + WEIGHT_STEP)
            if text:
                yield Candidate(
                    "weight",
                    f"group {gid} weight {group.weight:g} -> {group.weight + WEIGHT_STEP:g}",
                    text,
                )
        if gid in fired_groups and group.weight > WEIGHT_STEP:
            text = _set_group_weight(source, gid, group.weight - WEIGHT_STEP)
            if text:
                yield Candidate(
                    "weight",
                    f"group {gid} weight {group.weight:g} -> {group.weight - WEIGHT_STEP:g}",
                    text,
                )
    for i, rule in enumerate(w.rules):
        if not rule.within:
            continue
        for factor in (1 + WITHIN_STEP, 1 - WITHIN_STEP):
            within = max(1, round(rule.within * factor))
            if (
                (factor > 1 and not missed)
                or (factor < 1 and not unwanted)
                or within == rule.within
            ):
                continue
            text = _set_rule_within(source, i, within)
            if text:
                name = rule.name or f"rules[{i}]"
                yield Candidate("within", f"rule {name!r} within {rule.within} -> {within}", text)


def _context_words(matcher: Matcher, stories: list[LabelledStory]) -> list[str]:
    """Words near the subject in the unwanted stories, stripped of particles, commonest first."""
    counts: dict[str, int] = {}
    within = matcher.watchlist.score.context_within
    for story in stories:
        verdict = matcher.verdict(story.title, story.body, story.subtitle)
        seen: set[str] = set()
        for hit in verdict.rule_hits:
            text = verdict.fields[hit[3]].norm.spaced
            window = text[max(0, hit[0] - within) : hit[1] + within]
            for token in window.split()[1:-1]:  # the ends may be cut words
                word = _ENDINGS.sub("", re.sub(r"[^가-힣]", "", token))
                if _HANGUL_WORD.match(word) and word not in seen:
                    seen.add(word)
                    counts[word] = counts.get(word, 0) + 1
    known = {
        t.text.replace(" ", "")
        for g in matcher.watchlist.groups.values()
        for t in g.terms
        if t.text
    }
    known |= {t.text.replace(" ", "") for e in matcher.watchlist.exclude for t in e.terms if t.text}
    words = [w for w in counts if w not in known]
    return sorted(words, key=lambda w: (-counts[w], -len(w), w))


def _needed_penalty(matcher: Matcher, stories: list[LabelledStory]) -> float:
    """A penalty that takes the unwanted stories below the threshold (in steps of 0.5, at most
    twice the threshold: a context that must outweigh more than that is no context)."""
    over = max(
        matcher.match(s.title, s.body, subtitle=s.subtitle).score - matcher.watchlist.threshold
        for s in stories
    )
    return min(2 * matcher.watchlist.threshold, max(1.0, math.floor(over * 2) / 2 + 0.5))


def _fired_groups(matcher: Matcher, stories: list[LabelledStory]) -> set[str]:
    out: set[str] = set()
    for story in stories:
        verdict = matcher.verdict(story.title, story.body, story.subtitle)
        out |= {matcher.owners[h[2]] for h in verdict.rule_hits}
    return out


def _hit_groups(matcher: Matcher, stories: list[LabelledStory]) -> set[str]:
    out: set[str] = set()
    for story in stories:
        out |= set(matcher.verdict(story.title, story.body, story.subtitle).groups)
    return out


# --- editing the TOML text (one line each, so the diff is what a person would write) -------


def _blocks(source: str, header: str) -> list[tuple[int, int]]:
    """(start, end) character spans of each `header` table, in file order."""
    starts = [m.start() for m in re.finditer(rf"(?m)^{re.escape(header)}\s*$", source)]
    spans = []
    for start in starts:
        nxt = re.search(r"(?m)^\[", source[start + len(header) :])
        end = start + len(header) + nxt.start() if nxt else len(source)
        spans.append((start, end))
    return spans


def _add_term(source: str, index: int, word: str) -> str | None:
    """The exclusion `index` with `word` added at the end of its terms list."""
    spans = _blocks(source, "[[exclude]]")
    if index >= len(spans):
        return None
    start, end = spans[index]
    m = re.search(r"(?m)^terms\s*=\s*\[", source[start:end])
    if not m:
        return None
    opening = start + m.end() - 1
    close = _closing_bracket(source, opening)
    if close is None:
        return None
    last = _last_significant(source, opening, close)
    comma = "" if source[last] in "[," else ","
    if "\n" in source[opening:close]:
        line_start = source.rfind("\n", 0, close) + 1
        return (
            source[: last + 1] + comma + source[last + 1 : line_start]
            + f'  "{word}",   # proposed by `watchlist suggest`\n' + source[line_start:]
        )  # fmt: skip
    return source[: last + 1] + comma + f' "{word}"' + source[last + 1 :]


def _last_significant(source: str, opening: int, close: int) -> int:
    """The last character before `close` that is neither space nor inside a comment."""
    last, i = opening, opening + 1
    while i < close:
        ch = source[i]
        if ch == '"':
            i = source.find('"', i + 1)
            last = i
        elif ch == "#":
            i = source.find("\n", i) - 1
        elif not ch.isspace():
            last = i
        i += 1
    return last


def _closing_bracket(source: str, opening: int) -> int | None:
    """The index of the `]` closing the `[` at `opening` (strings and comments skipped)."""
    depth, i, n = 0, opening, len(source)
    while i < n:
        ch = source[i]
        if ch == '"':
            i = source.find('"', i + 1)
            if i < 0:
                return None
        elif ch == "#":
            i = source.find("\n", i)
            if i < 0:
                return None
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _new_exclusion(source: str, word: str, within: int, penalty: float) -> str | None:
    """A new [[exclude]] table for `word`, after the last one (or at the end of the file)."""
    spans = _blocks(source, "[[exclude]]")
    at = spans[-1][1] if spans else len(source)
    # before the comment lines that head the next table
    lines = source[:at].split("\n")
    while len(lines) > 1 and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines.pop()
    at = len("\n".join(lines)) + 1
    block = (
        f'[[exclude]]\nname = "{word} (제안)"   # proposed by `watchlist suggest`: rename it\n'
        f'terms = ["{word}"]\nwithin = {within}\npenalty = {penalty:g}\n\n'
    )
    return source[:at] + "\n" + block.rstrip("\n") + "\n" + source[at:]


def _set_group_weight(source: str, gid: str, weight: float) -> str | None:
    return _set_key(source, _blocks(source, f"[groups.{gid}]"), 0, "weight", f"{weight:g}")


def _set_rule_within(source: str, index: int, within: int) -> str | None:
    return _set_key(source, _blocks(source, "[[rules]]"), index, "within", str(within))


def _set_key(
    source: str, spans: list[tuple[int, int]], index: int, key: str, value: str
) -> str | None:
    """`key = value` in the table at `spans[index]` (only when the key is written there)."""
    if index >= len(spans):
        return None
    start, end = spans[index]
    block = source[start:end]
    m = re.search(rf"(?m)^({re.escape(key)}\s*=\s*)([^\s#]+)", block)
    if not m:
        return None
    return source[: start + m.start(2)] + value + source[start + m.end(2) :]
