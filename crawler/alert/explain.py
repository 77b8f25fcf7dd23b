"""Why a story is shown, in the office's words — one definition for mail, dashboard and export.

- `reason`: a short Korean phrase from the rule(s) that fired ("외국인 환자 + 해외 설명회 (제목)").
- `key_terms`: at most five distinct concepts that made the match, never a generic word alone.
- `level`: 높음/보통 instead of a raw score (the raw score stays on the dashboard).
- `excerpt`: a passage that starts at a sentence boundary, prefers the lead, and marks only
  the key terms.
- `pick_representative`: the article a story is shown by (home region's outlet, then earliest).
- `score_text`, `korean_time`: the same rounding and the same Seoul time everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from crawler.match.watchlist import Watchlist

MAX_KEY_TERMS = 5
SUPPORTING_WEIGHT = 1.5
EXCERPT_CHARS = 200
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"
# words that say nothing alone: a story is never "about" 환자 or 의료 by itself
GENERIC = frozenset({"환자", "환아", "의료", "관광", "병원", "외국", "외국인", "치료", "진료", "해외",
                     "고객", "손님", "상품", "관광객", "방문객"})
_FRAGMENT = re.compile(r"^(?:에서|으로|로|를|을|이|가|은|는|와|과|의)\s")  # "에서 온": a particle, not a word
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|\n+")
_MARKED = re.compile("\x02([^\x02\x03]*)\x03")


def _squash(text: str) -> str:
    """Spacing- and case-insensitive form, as the matcher compares terms."""
    return re.sub(r"[\s\-·]+", "", text).lower()


def is_generic(term: str) -> bool:
    """True for a word that names no concept by itself (환자, 의료, …) or a particle fragment."""
    stripped = term.strip()
    return (_squash(stripped) in GENERIC or bool(_FRAGMENT.match(stripped)) or len(_squash(stripped)) < 2
            or stripped.startswith("/"))


def score_text(score: float) -> str:
    """One rounding for every place a score is shown."""
    return f"{score:.1f}"


def level(score: float, threshold: float | None) -> str:
    """높음 when the score is at least twice the watchlist's threshold, else 보통."""
    if threshold and score >= 2 * threshold:
        return "높음"
    return "보통"


# --- rules -> words ----------------------------------------------------------------------


@dataclass(frozen=True)
class Why:
    """The office's reading of one match."""

    reason: str
    key_terms: tuple[str, ...]
    groups: tuple[str, ...]  # the concept groups behind the key terms (for highlighting)


def fired_rules(watchlist: Watchlist, rule_text: str) -> list[int]:
    """Indexes of the watchlist's rules named in a stored explanation (`Match.rule`)."""
    parts = [p.strip() for p in (rule_text or "").split(";")]
    return [i for i, rule in enumerate(watchlist.rules) if rule.describe() in parts]


def _in_title(watchlist: Watchlist, index: int, title: str) -> bool:
    """True when every concept a rule requires is named in the headline."""
    squashed = _squash(title)
    return bool(squashed) and all(
        any(t.text and _squash(t.text) in squashed for g in slot if g in watchlist.groups
            for t in watchlist.groups[g].terms)
        for slot in watchlist.rules[index].slots)


def explain(watchlist: Watchlist | None, rule_text: str, terms: Sequence[str], title: str = "") -> Why:
    """The reason phrase and key terms of a match (Korean, from the watchlist's own names).

    Of the rules that fired, those the headline satisfies come first (and earn "(제목)"), then
    the ones with the larger bonus (the more specific combinations), then the watchlist's order.
    """
    clean_terms = [str(t) for t in terms]
    if watchlist is None:
        return Why("", tuple(dict.fromkeys(t for t in clean_terms if not is_generic(t)))[:MAX_KEY_TERMS], ())
    fired = fired_rules(watchlist, rule_text)
    if not fired:  # an explanation in an older format: the distinct non-generic terms will do
        return explain(None, rule_text, clean_terms)
    in_title = {i for i in fired if _in_title(watchlist, i, title)}
    fired.sort(key=lambda i: (i not in in_title, -watchlist.rules[i].bonus, i))
    names: list[str] = []
    groups: list[str] = []
    for i in fired:
        rule = watchlist.rules[i]
        slots = rule.slots
        labels = [" | ".join(watchlist.groups[g].label or g for g in slot if g in watchlist.groups)
                  for slot in slots]
        names.append(rule.name or " + ".join(labels))
        groups += [g for slot in slots for g in slot]
    parts = [p.strip() for p in (rule_text or "").split(";")]
    named = list(dict.fromkeys(names))[:2]  # two rules say why; more read as a list of conditions
    reason = " · ".join(named)
    if reason and fired[0] in in_title:
        reason += " (제목)"
    elif reason and any(p.startswith("subtitle ") for p in parts):
        reason += " (부제)"
    group_of = {t.shown: gid for gid, g in watchlist.groups.items() for t in g.terms}
    first_term: dict[str, str] = {}
    for term in clean_terms:
        gid = group_of.get(term)
        if gid in groups and gid not in first_term and not is_generic(term):
            first_term[gid] = term
    squashed_title = _squash(title)
    first_rules = {g for i in fired[:2] for slot in watchlist.rules[i].slots for g in slot}

    def order(g: str) -> tuple[bool, bool, float]:
        """The headline's concepts, then the named rules', then the heavier: 관광 or 병원 from a sixth
        rule says less than the subject's own words."""
        return (_squash(first_term[g]) not in squashed_title, g not in first_rules, -watchlist.groups[g].weight)

    chosen = sorted((g for g in dict.fromkeys(groups) if g in first_term), key=order)
    # supporting concepts (weight below 1.5: 관광, 병원, 피부과) only when the headline names them
    # or nothing better fills three places
    chosen = [g for k, g in enumerate(chosen) if k < 3 or _squash(first_term[g]) in squashed_title
              or watchlist.groups[g].weight >= SUPPORTING_WEIGHT][:MAX_KEY_TERMS]
    keys: list[str] = []
    for g in chosen:  # "코디네이터" says nothing more after "의료 코디네이터"
        t = first_term[g]
        if not any(_squash(t) in _squash(k) or _squash(k) in _squash(t) for k in keys):
            keys.append(t)
    chosen = [g for g in chosen if first_term[g] in keys]
    return Why(reason, tuple(keys), tuple(chosen))


def highlight_terms(watchlist: Watchlist | None, why: Why) -> set[str]:
    """Squashed spellings that may be highlighted: every non-generic term of the key concepts."""
    out = {_squash(t) for t in why.key_terms}
    if watchlist is not None:
        for gid in why.groups:
            out |= {_squash(t.text) for t in watchlist.groups[gid].terms if t.text and not is_generic(t.text)}
    return out


# --- excerpt -------------------------------------------------------------------------------


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _mark(text: str, spellings: set[str]) -> str:
    """`text` with each occurrence of a spelling (spacing-insensitive) between markers."""
    if not spellings:
        return text
    patterns = sorted(spellings, key=len, reverse=True)
    alternation = "|".join(r"\s*".join(re.escape(ch) for ch in p) for p in patterns if p)
    if not alternation:
        return text
    return re.sub(f"({alternation})", lambda m: f"{MARK_OPEN}{m.group(1)}{MARK_CLOSE}", text,
                  flags=re.IGNORECASE)


def _fit(sentences: list[str], limit: int) -> str:
    """Whole sentences up to `limit` characters (at least the first, cut at a word with '…')."""
    out = ""
    for s in sentences:
        candidate = f"{out} {s}".strip()
        if out and len(candidate) > limit:
            break
        out = candidate
    if len(out) > limit:
        cut = out.rfind(" ", 0, limit)
        out = out[: cut if cut > limit // 2 else limit].rstrip() + "…"
    return out


def excerpt(body: str | None, fallback: str, spellings: set[str], limit: int = EXCERPT_CHARS) -> str:
    """A marked passage: the lead when it names a key term, else the first sentence that does.

    Without the body (pruned), the stored snippet is used from its first sentence boundary and
    re-marked with the key terms only.
    """
    if body and body.strip():
        sentences = _sentences(" ".join(body.split("\n\n")))
        found = [i for i, s in enumerate(sentences) if _squash(s) and any(sp in _squash(s) for sp in spellings)]
        if found or not fallback:
            start = 0 if not found or found[0] <= 1 else found[0]
            return _mark(_fit(sentences[start:], limit), spellings)
        # the subject is further in than the lead we read: the matcher's passage says more
    text = _MARKED.sub(r"\1", fallback or "").replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    text = " ".join(text.split())
    if text.startswith("…"):
        # the stored snippet starts mid-sentence: begin at its next sentence when there is one
        cut = _SENTENCE_END.search(text)
        text = text[cut.end():] if cut and cut.end() < len(text) - 20 else text
    return _mark(_fit(_sentences(text) or [text], limit), spellings) if text else ""


def rehighlight(marked: str, spellings: set[str]) -> str:
    """A marked text keeping only the marks whose text is one of the key spellings."""
    def keep(m: re.Match[str]) -> str:
        return f"{MARK_OPEN}{m.group(1)}{MARK_CLOSE}" if _squash(m.group(1)) in spellings else m.group(1)
    return _MARKED.sub(keep, marked or "")


# --- representative article ----------------------------------------------------------------


@dataclass(frozen=True)
class Carrier:
    """One outlet's article in a story."""

    outlet_id: str
    article_id: int
    published_at: datetime | None
    first_seen_at: datetime


def pick_representative(carriers: Sequence[Carrier], regions: dict[str, str],
                        home_region: str | None) -> Carrier | None:
    """The article a story is shown by: the home region's outlet first, then the earliest published."""
    if not carriers:
        return None

    def order(c: Carrier) -> tuple[int, datetime, datetime, str]:
        at_home = 0 if home_region and regions.get(c.outlet_id) == home_region else 1
        return (at_home, c.published_at or c.first_seen_at, c.first_seen_at, c.outlet_id)

    return min(carriers, key=order)
