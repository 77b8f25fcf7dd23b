"""Watchlists: the TOML format, its pydantic model and a loader whose errors name the fix.

A watchlist is one file, ``settings/watchlists/<id>.toml``; the id is the file name
(lowercase ASCII letters, digits, hyphens).  Unknown keys are errors.  The format:

```toml
name = "의료관광"                 # display name, used in mail subjects: [의료관광] …
description = "…"                 # optional
threshold = 6                     # an article is relevant when its score >= threshold

[score]                           # optional; these are the defaults
title_boost = 3                   # a rule's term in the title
subtitle_boost = 1                # … or else in the subtitle
context_within = 60               # other groups count when this close to a rule's term
repeat_bonus = 1                  # more rule hits in the body: +repeat_bonus × log2(1 + extra)
repeat_cap = 3                    # … at most this much
list_factor = 0.5                 # score × this when every rule hit sits in a list

[groups.medical_tourism]          # a concept: terms and synonyms
label = "의료관광"                # optional: a readable name for people and dashboards
weight = 4
terms = [
  "의료관광",                     # plain string: matched ignoring spacing and punctuation
  "의료 비자",                    # a space: the only place the article may split the term
  { text = "유치", not_in = ["유치원", "유치장"] },   # not inside these longer words
  { text = "비자", word_start = true },              # must begin a word (not 소비자)
  { text = "메디컬 코리아", weight = 5 },             # own weight instead of the group's
  { regex = "(몽골|러시아)인?환자" },                  # regex over the normalised text
]

[[rules]]                         # when the article is about the subject
name = "외국 + 환자"              # optional
require = ["foreign", "patient"]  # every entry must match; "a | b" = either group
within = 10                       # optional: all within 10 characters (spaces count)
bonus = 2                         # optional: added when this rule fires

[[exclude]]                       # contexts that discount a match
name = "국내 거주 외국인 의료지원"
terms = ["외국인 근로자", "다문화"]
within = 60                       # optional: near a rule's term or in the title; else anywhere
penalty = 3
max_penalty = 9                   # optional: penalty × distinct terms that apply, at most this,
                                  # when the context has half as many hits as the subject or more
unless = ["cosmetic"]             # optional: not when one of these groups has a hit within
                                  # `within` (else context_within) of the exclusion's term

[home]                            # optional: the office's own region
name = "인천"
terms = ["인천"]
boost = 1.5
districts = ["부평구", "미추홀구"]  # weak alone (names repeat across cities)
district_boost = 0.5
```
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from crawler.errors import ConfigError
from crawler.korean import HARD_BOUNDARIES, normalize_term

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RESERVED_GROUPS = {"home"}


class WatchlistError(ConfigError):
    """A watchlist file that cannot be used; the message names the file, the place and the fix."""


def _term_from_string(value: Any) -> Any:
    """Let a term be written as a plain string."""
    return {"text": value} if isinstance(value, str) else value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Term(_Model):
    """One term: literal text (spacing-insensitive) or a regular expression."""

    text: str | None = Field(None, description="the word or phrase, as usually written")
    regex: str | None = Field(None, description="a Python regex over the normalised text")
    weight: float | None = Field(None, ge=0, description="overrides the group's weight")
    word_start: bool = Field(False, description="must begin a word in the original text")
    not_in: list[str] = Field(
        default_factory=list, description="longer words it must not be inside"
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Term:
        if (self.text is None) == (self.regex is None):
            raise ValueError('write either text = "…" or regex = "…" (exactly one)')
        return self

    @property
    def shown(self) -> str:
        """How the term is named in explanations: as written in the watchlist."""
        return self.text if self.text is not None else f"/{self.regex}/"


TermItem = Annotated[Term, BeforeValidator(_term_from_string)]


class Group(_Model):
    """A concept: synonyms and spellings that mean the same thing for this watchlist."""

    label: str = ""
    description: str = ""
    weight: float = Field(ge=0)
    terms: list[TermItem]


class Rule(_Model):
    """A combination of groups that makes an article about the subject."""

    name: str = ""
    require: list[str] = Field(min_length=1)
    within: int | None = Field(None, ge=1)
    bonus: float = 0.0

    @property
    def slots(self) -> list[tuple[str, ...]]:
        """Each required entry as the tuple of groups that can satisfy it."""
        return [tuple(part.strip() for part in entry.split("|")) for entry in self.require]

    def describe(self) -> str:
        """E.g. "required: medical+foreign_patient within 40 chars"."""
        text = "required: " + "+".join("|".join(slot) for slot in self.slots)
        if self.within:
            text += f" within {self.within} chars"
        return f"{self.name} ({text})" if self.name else text


class Exclusion(_Model):
    """A context that discounts a match: foreign residents' healthcare, a résumé, …"""

    name: str = Field(min_length=1)
    terms: list[TermItem]
    within: int | None = Field(None, ge=1)
    penalty: float = Field(gt=0)
    max_penalty: float | None = Field(
        None,
        gt=0,
        description=(
            "when set, the penalty counts once per distinct term that applies, up to this, "
            "if the context's hits are at least half as many as the subject's"
        ),
    )
    unless: list[str] = Field(
        default_factory=list,
        description="groups whose hit close to the exclusion's term says the context is the subject after all",
    )


class Home(_Model):
    """The office's own region: its names raise the score of a matching article."""

    name: str = Field(min_length=1)
    terms: list[TermItem]
    boost: float = Field(ge=0)
    districts: list[TermItem] = Field(default_factory=list)
    district_boost: float = Field(0.0, ge=0)


class Scoring(_Model):
    """How hits become a score."""

    title_boost: float = Field(3.0, ge=0)
    subtitle_boost: float = Field(1.0, ge=0)
    context_within: int = Field(60, ge=0)
    repeat_bonus: float = Field(1.0, ge=0)
    repeat_cap: float = Field(3.0, ge=0)
    list_factor: float = Field(0.5, ge=0, le=1)
    passing_factor: float = Field(0.6, ge=0, le=1)
    brief_boost: float = Field(0.0, ge=0)
    brief_chars: int = Field(240, ge=1)


class Watchlist(_Model):
    """One watchlist, validated."""

    id: str
    name: str = Field(min_length=1)
    description: str = ""
    threshold: float = Field(gt=0)
    score: Scoring = Field(default_factory=Scoring)
    groups: dict[str, Group] = Field(min_length=1)
    rules: list[Rule] = Field(min_length=1)
    exclude: list[Exclusion] = Field(default_factory=list)
    home: Home | None = None

    def max_score(self) -> float:
        """The highest score any article could reach."""
        weights = sum(
            max([g.weight, *(t.weight or 0 for t in g.terms)]) for g in self.groups.values()
        )
        bonus = max(rule.bonus for rule in self.rules)
        home = max(self.home.boost, self.home.district_boost) if self.home else 0.0
        return weights + max(bonus, 0) + self.score.title_boost + self.score.repeat_cap + home


# --- loading -------------------------------------------------------------------------------


def load_watchlist(path: Path) -> Watchlist:
    """Read and validate one watchlist file; its id is the file name without `.toml`."""
    path = Path(path)
    watchlist_id = path.stem
    if not ID_RE.match(watchlist_id):
        raise WatchlistError(
            f"{path}: the file name gives the watchlist id {watchlist_id!r}, which must be "
            "lowercase ASCII letters, digits and hyphens; rename the file (e.g. medical-tourism.toml)"
        )
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WatchlistError(
            f"{path}: cannot read the file ({exc}); check the path and that it is UTF-8"
        ) from exc
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise WatchlistError(f"{path}: not valid TOML: {exc}; fix the syntax at that line") from exc
    if "id" in data:
        raise WatchlistError(
            f"{path}: id: unknown key; a watchlist's id is its file name ({watchlist_id!r}), remove the line"
            + _line_hint(raw, "id")
        )
    try:
        watchlist = Watchlist.model_validate({**data, "id": watchlist_id})
    except ValidationError as exc:
        raise WatchlistError(_describe_validation(path, raw, exc)) from None
    problem = _check(watchlist)
    if problem:
        raise WatchlistError(f"{path}: {problem}")
    return watchlist


def load_watchlists(directory: Path) -> dict[str, Watchlist]:
    """Every `*.toml` in `directory`, keyed by id."""
    directory = Path(directory)
    if not directory.is_dir():
        raise WatchlistError(
            f"{directory}: no such directory; create it or point NEWSWATCH_WATCHLISTS_DIR at the watchlists"
        )
    return {path.stem: load_watchlist(path) for path in sorted(directory.glob("*.toml"))}


# --- error messages ------------------------------------------------------------------------


def toml_path(loc: tuple[Any, ...]) -> str:
    """('groups', 'medical', 'terms', 3, 'text') -> 'groups.medical.terms[3].text'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


_FIELD_HELP = {
    "weight": "a number, e.g. weight = 2",
    "threshold": "a number greater than 0, e.g. threshold = 6",
    "terms": "a list of strings or { text = … } tables",
    "require": 'a list of group names, e.g. require = ["medical", "foreign_patient"]',
    "within": "a whole number of characters, e.g. within = 40",
    "penalty": "a number greater than 0",
}


def _describe_validation(path: Path, raw: str, exc: ValidationError) -> str:
    """One readable line per pydantic error, each with its TOML path and a fix."""
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = toml_path(loc)
        lines.append(f"{path}: {where}: {_explain(err, loc, raw)}")
    return "\n".join(lines)


def _explain(err: Any, loc: tuple[Any, ...], raw: str) -> str:
    """The problem and the fix for one pydantic error."""
    kind = err["type"]
    key = str(loc[-1]) if loc else ""
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        guess = difflib.get_close_matches(key, allowed, n=1)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        return (
            f"unknown key {key!r}; remove it or use one of: {', '.join(allowed)}{hint}"
            + _line_hint(raw, key)
        )
    if kind == "missing":
        return f"missing; add {key} = … ({_FIELD_HELP.get(key, 'see the format in the README')})"
    if kind == "too_short":
        return "is empty; add at least one entry (or remove it)"
    if kind == "model_type" and len(loc) >= 2 and loc[-2] in ("terms", "districts"):
        return 'a term must be a string or a table such as { text = "…", word_start = true }'
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"{message}" + (f"; expected {_FIELD_HELP[key]}" if key in _FIELD_HELP else "")


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed in the table at `loc` (a pydantic location without the bad key)."""
    parts = list(loc)
    model: type[BaseModel] = Watchlist
    if len(parts) >= 2 and isinstance(parts[-1], int) and parts[-2] in ("terms", "districts"):
        model = Term
    elif len(parts) == 2 and parts[0] == "groups":
        model = Group
    elif len(parts) == 2 and parts[0] == "rules":
        model = Rule
    elif len(parts) == 2 and parts[0] == "exclude":
        model = Exclusion
    elif parts == ["score"]:
        model = Scoring
    elif parts == ["home"]:
        model = Home
    return [name for name in model.model_fields if name != "id"]


def _line_hint(raw: str, key: str) -> str:
    """' (line N)' when `key = …` occurs on exactly one line of the file."""
    pattern = re.compile(rf"(?:^|[\s{{,])\"?{re.escape(key)}\"?\s*=")
    lines = [n for n, line in enumerate(raw.splitlines(), 1) if pattern.search(line)]
    return f" (line {lines[0]})" if len(lines) == 1 else ""


# --- checks across fields ------------------------------------------------------------------


def _check(w: Watchlist) -> str | None:
    """Problems pydantic cannot see alone: empty groups, bad terms, unknown groups, reachability."""
    for gid, group in w.groups.items():
        if gid in RESERVED_GROUPS or not re.match(r"^[A-Za-z0-9_]+$", gid):
            return (
                f"groups.{gid}: a group name must be ASCII letters, digits or _ and not "
                f"{sorted(RESERVED_GROUPS)}; rename the group"
            )
        if not group.terms:
            return f"groups.{gid}.terms: the group is empty; add at least one term or remove [groups.{gid}]"
    problem = _check_terms(w)
    if problem:
        return problem
    for i, rule in enumerate(w.rules):
        seen: set[str] = set()
        for j, slot in enumerate(rule.slots):
            for gid in slot:
                if gid not in w.groups:
                    known = ", ".join(w.groups)
                    return f"rules[{i}].require[{j}]: no group named {gid!r}; use one of: {known}"
                if gid in seen:
                    return (
                        f"rules[{i}].require[{j}]: group {gid!r} is named twice in this rule; "
                        "name each group once"
                    )
                seen.add(gid)
    for i, excl in enumerate(w.exclude):
        for j, gid in enumerate(excl.unless):
            if gid not in w.groups:
                known = ", ".join(w.groups)
                return f"exclude[{i}].unless[{j}]: no group named {gid!r}; use one of: {known}"
    best = w.max_score()
    if best < w.threshold:
        return (
            f"threshold: {w.threshold:g} cannot be reached — the highest possible score is {best:g} "
            "(all groups, the best rule bonus, title, repetition and home boosts); "
            "lower the threshold or raise weights"
        )
    return None


def _term_lists(w: Watchlist) -> list[tuple[str, list[Term]]]:
    """Every term list with its TOML path."""
    lists = [(f"groups.{gid}.terms", list(g.terms)) for gid, g in w.groups.items()]
    lists += [(f"exclude[{i}].terms", list(e.terms)) for i, e in enumerate(w.exclude)]
    if w.home:
        lists += [("home.terms", list(w.home.terms)), ("home.districts", list(w.home.districts))]
    return lists


def _check_terms(w: Watchlist) -> str | None:
    """Each term must be usable, and a term may appear in only one group."""
    seen: dict[str, str] = {}
    for list_path, terms in _term_lists(w):
        if not terms and list_path != "home.districts":
            return f"{list_path}: the list is empty; add at least one term"
        for k, term in enumerate(terms):
            where = f"{list_path}[{k}]"
            problem = _check_term(term, where)
            if problem:
                return problem
            if term.text is not None and list_path.startswith("groups."):
                key = normalize_term(term.text)[0]
                if key in seen:
                    return (
                        f"{where}: {term.text!r} is already a term at {seen[key]}; "
                        "keep each term in one group"
                    )
                seen[key] = where
    return None


def _check_term(term: Term, where: str) -> str | None:
    """One term's problems, or None."""
    if term.regex is not None:
        return _check_regex(term.regex, where)
    assert term.text is not None
    hard = [c for c in term.text if c in HARD_BOUNDARIES]
    if hard:
        return (
            f"{where}.text: {term.text!r} contains {hard[0]!r}, a sentence or list separator that "
            "no match can span; split it into separate terms"
        )
    key, _ = normalize_term(term.text)
    if not key:
        return f"{where}.text: {term.text!r} has no letters or digits; write a word"
    for m, word in enumerate(term.not_in):
        if key not in normalize_term(word)[0]:
            return (
                f"{where}.not_in[{m}]: {word!r} does not contain {term.text!r}, so it can never apply; "
                "list only longer words that contain the term"
            )
    return None


def _check_regex(pattern: str, where: str) -> str | None:
    """A regex term must compile, must not match empty text and cannot rely on spaces."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        return f"{where}.regex: bad regular expression ({exc}); fix the pattern (Python re syntax)"
    if compiled.search("") is not None:
        return f"{where}.regex: {pattern!r} can match empty text; make it require at least one character"
    if " " in pattern or "\\s" in pattern:
        return (
            f"{where}.regex: {pattern!r} contains a space, but regexes run on text without spaces; "
            "remove the spaces from the pattern"
        )
    if re.search(r"[A-Z]", re.sub(r"\\.", "", pattern)):
        return (
            f"{where}.regex: {pattern!r} has capital letters, but regexes run on lower-cased text; "
            "write the pattern in lower case"
        )
    return None
