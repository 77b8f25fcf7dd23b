"""Synthetic NDSoft outlets for benchmarks (`--scale OUTLETS:ARTICLES`), generated deterministically.

Sentences are drawn from the demo articles and titles assembled from `data/scale.toml`, with a
seed per outlet and article: the same arguments and anchor always give the same sites. About one
article in ten is about medical tourism (`expect_relevant` is a hint, not ground truth).
"""

from __future__ import annotations

import random
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from crawler.demosites.content import (
    DATA_DIR,
    DemoArticle,
    Outlet,
    article_records,
    default_sections,
    resolve,
)

REGIONS = (
    "서울",
    "부산",
    "대구",
    "인천",
    "광주",
    "대전",
    "울산",
    "세종",
    "경기",
    "강원",
    "충북",
    "충남",
    "전북",
    "전남",
    "경북",
    "경남",
    "제주",
)
MAX_AGE_HOURS = 70.0  # every synthetic article stays inside the 72-hour alert window
RELEVANT_EVERY = 10
_SENTENCE_END = re.compile(r"(?<=다\.)\s+")


class ScaleError(ValueError):
    """A --scale value that cannot be used."""


def parse_scale(text: str) -> tuple[int, int]:
    """`OUTLETS:ARTICLES` → (outlets, articles per outlet)."""
    left, sep, right = text.partition(":")
    if not sep or not left.isdigit() or not right.isdigit() or int(left) < 1 or int(right) < 1:
        raise ScaleError(
            f"--scale {text!r}: write OUTLETS:ARTICLES with positive numbers, e.g. 20:100"
        )
    return int(left), int(right)


@cache
def _words() -> dict[str, Any]:
    return tomllib.loads((DATA_DIR / "scale.toml").read_text(encoding="utf-8"))


@cache
def _sentences() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(relevant, other) sentences from the demo articles."""
    relevant: list[str] = []
    other: list[str] = []
    for _, record in article_records():
        if record["kind"] in ("reference1", "reference2") or record["section"] == "S1N9":
            continue
        target = relevant if record["expect_relevant"] else other
        for paragraph in record["paragraphs"][1:]:
            target.extend(s for s in _SENTENCE_END.split(paragraph) if len(s) > 20)
    return tuple(relevant), tuple(other)


def scale_outlets(count: int, articles: int) -> list[Outlet]:
    """`count` synthetic NDSoft outlets with `articles` articles each: bench001, bench002, …"""
    words = _words()
    sections = default_sections()
    outlets = []
    for i in range(1, count + 1):
        region = REGIONS[(i - 1) % len(REGIONS)]
        suffix = words["name_suffixes"][(i - 1) % len(words["name_suffixes"])]
        outlets.append(
            Outlet(
                id=f"bench{i:03d}",
                name=f"{region}벤치{suffix} {i:03d}",
                region=region,
                district="",
                family="ndsoft",
                sections=sections,
                time_meta=("kst", "utc")[i % 2],
                popular=tuple(_popular_ids(i, articles)),
                mail_domain=f"bench{i:03d}.example",
                slogan=words["slogans"][i % len(words["slogans"])],
                address=f"{region} 가상로 {i}길 {i % 90 + 10}",
                phone=f"070-000-{i:04d}",
                registration=f"{region} 아 9{i:04d}",
                publisher="벤치마크",
                editor="벤치마크",
                synthetic_articles=articles,
            )
        )
    return outlets


def _article_id(index: int, total: int) -> int:
    """Article index 0 is the newest and has the highest id."""
    return 1000 + total - index


def _popular_ids(outlet_number: int, total: int) -> list[int]:
    rng = random.Random(f"popular-{outlet_number}")
    ids = [_article_id(j, total) for j in range(total)]
    rng.shuffle(ids)
    return ids[:10]


def synthetic_articles(outlet: Outlet, anchor: datetime) -> list[DemoArticle]:
    """The outlet's articles, newest first, dated against `anchor`."""
    total = outlet.synthetic_articles
    return [resolve(_record(outlet, j, total), outlet, anchor) for j in range(total)]


def _record(outlet: Outlet, index: int, total: int) -> dict[str, Any]:
    words = _words()
    relevant_pool, other_pool = _sentences()
    rng = random.Random(f"{outlet.id}-{index}")
    relevant = index % RELEVANT_EVERY == 3
    sections = [s.code for s in outlet.sections if s.code != "S1N9"]
    if relevant:
        title = rng.choice(words["relevant"]).format(
            region=outlet.region, country=rng.choice(words["countries"])
        )
        section = "S1N5"
    else:
        subject, predicate = rng.choice(words["general"])
        title = f"{outlet.region}{rng.choice(words['places'])} {subject} {predicate}"
        section = sections[index % len(sections)]
    paragraphs = [title.split(",")[0] + " 관련 소식이다. " + rng.choice(other_pool)]
    for _ in range(rng.randint(4, 7)):
        pool = relevant_pool if relevant and rng.random() < 0.7 else other_pool
        paragraphs.append(" ".join(rng.choice(pool) for _ in range(rng.randint(2, 4))))
    return {
        "id": _article_id(index, total),
        "section": section,
        "kind": "synthetic",
        "expect_relevant": relevant,
        "age_hours": 0.5 + index * MAX_AGE_HOURS / max(total, 1),
        "reporter": rng.choice(words["reporters"]),
        "title": title,
        "subtitle": "",
        "caption": f"{title} 관련 사진." if rng.random() < 0.6 else "",
        "paragraphs": paragraphs,
    }


# --- publishing over time (the freshness simulation) ---------------------------------------------

# weight of each Seoul hour in a local outlet's publishing day (mean 1): desks file from 08:00,
# a lull at lunch, an afternoon wave, little at night
SEOUL_DAY = (0.15, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.9, 2.2, 2.2, 2.0,
             1.3, 1.8, 1.9, 1.9, 1.7, 1.5, 1.0, 0.7, 0.5, 0.4, 0.3, 0.2)
_DAY_MEAN = sum(SEOUL_DAY) / 24
SEOUL_OFFSET_H = 9


@dataclass(frozen=True)
class Publication:
    """One article going online: `at` seconds after the start, at outlet number `outlet` (0-based)."""

    at: float
    outlet: int
    story: int  # syndicated copies share the story of their original
    relevant: bool


def daily_rates(count: int, seed: str = "freshness") -> list[float]:
    """Articles per day of each outlet: a few busy ones (every few minutes in the day), most a few
    a day, some only weekly."""
    rng = random.Random(f"{seed}-rates")
    rates = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.03:
            rates.append(rng.uniform(60.0, 200.0))  # a regional daily: every ~5-15 minutes in office hours
        elif kind < 0.80:
            rates.append(rng.uniform(2.0, 10.0))
        else:
            rates.append(rng.uniform(0.3, 2.0) / 7.0)  # a weekly
    return rates


def day_weight(moment: datetime) -> float:
    """The publishing weight of a moment's Seoul hour (mean 1 over a day)."""
    return SEOUL_DAY[(moment.astimezone(UTC).hour + SEOUL_OFFSET_H) % 24] / _DAY_MEAN


def publications(count: int, start: datetime, hours: float, *, seed: str = "freshness",
                  syndicated: float = 0.05, relevant: float = 0.08, outlets_seed: str = "freshness") -> list[Publication]:
    """What `count` outlets publish over `hours` from `start`, in time order (deterministic per seed).

    Each outlet publishes as a Poisson process at its daily rate shaped by the Seoul day; a share of
    stories is syndicated to 2-5 other outlets within 40 minutes; a share is about medical tourism.
    How busy each outlet is comes from `outlets_seed` alone: the history of one week and what is
    published the next (two `seed`s) are the same outlets, as a cadence that learns needs them.
    """
    rng = random.Random(f"{seed}-{count}-{hours}")
    peak = max(SEOUL_DAY) / _DAY_MEAN
    end = hours * 3600.0
    out: list[Publication] = []
    story = 0
    for outlet, per_day in enumerate(daily_rates(count, outlets_seed)):
        per_s = per_day / 86400.0 * peak
        t = rng.expovariate(per_s)
        while t < end:
            if rng.random() * peak < day_weight(start + timedelta(seconds=t)):  # thinning
                story += 1
                hit = rng.random() < relevant
                out.append(Publication(t, outlet, story, hit))
                if rng.random() < syndicated and count > 1:
                    for other in rng.sample(range(count), min(count - 1, rng.randint(2, 5))):
                        if other != outlet:
                            copy_at = t + rng.uniform(120.0, 2400.0)
                            if copy_at < end:
                                out.append(Publication(copy_at, other, story, hit))
            t += rng.expovariate(per_s)
    out.sort(key=lambda p: p.at)
    return out


def story_article(outlet: Outlet, number: int, story: int, relevant: bool, published: datetime) -> DemoArticle:
    """A newly published article: `number` counts the outlet's new articles (ids above the seeded
    ones); the text is the story's, so syndicated copies of a story carry the same words."""
    words = _words()
    relevant_pool, other_pool = _sentences()
    rng = random.Random(f"story-{story}")
    region = REGIONS[story % len(REGIONS)]
    sections = [s.code for s in outlet.sections if s.code not in ("S1N9", "S1N5")]
    if relevant:
        country = rng.choice(words["countries"])
        title = rng.choice(words["relevant"]).format(region=region, country=country)
        section = "S1N5"
        paragraphs = _story_paragraphs(rng, _story_facts(rng, region, country), relevant_pool, other_pool)
    else:
        subject, predicate = rng.choice(words["general"])
        title = f"{region}{rng.choice(words['places'])} {subject} {predicate} ({story})"
        section = sections[story % len(sections)]
        paragraphs = [title.split(",")[0] + " 관련 소식이다. " + rng.choice(other_pool)]
        for _ in range(rng.randint(4, 7)):
            paragraphs.append(" ".join(rng.choice(other_pool) for _ in range(rng.randint(2, 4))))
    record = {
        "id": NEW_ID_BASE + number, "section": section, "kind": "synthetic", "expect_relevant": relevant,
        "age_hours": 0.0, "reporter": rng.choice(words["reporters"]), "title": title, "subtitle": "",
        "caption": "", "paragraphs": paragraphs, "story": f"s{story}",
    }
    return resolve(record, outlet, published)


def _story_facts(rng: random.Random, region: str, country: str) -> dict[str, str]:
    """The actors, places and figures of one medical-tourism story (scale.toml `story_facts` slots):
    two stories of the mix differ in them as two real stories do, so dedupe keeps them apart."""
    words = _words()

    first, second = rng.sample(words["hospital_kinds"], 2)
    one, two = rng.sample(words["hospital_names"], 2)
    month = rng.randint(1, 12)
    return {
        "region": region, "country": country,
        "agency": f"{region}{rng.choice(words['agency_kinds'])}",
        "hospital": f"{region} {one}{first}", "hospital2": f"{two}{second}",
        "person": rng.choice(words["surnames"]) + rng.choice(words["given_syllables"]) + rng.choice(words["given_syllables"]),
        "role": rng.choice(words["roles"]),
        "month": str(month), "month2": str(month % 12 + 1), "day": str(rng.randint(1, 28)),
        "patients": f"{rng.randint(1200, 48000):,}", "pct": str(rng.randint(6, 64)), "k": str(rng.randint(3, 24)),
        "guests": str(rng.randint(8, 45)), "visitors": str(rng.randint(60, 900)),
        "consults": f"{rng.randint(120, 2400):,}", "budget": str(rng.randint(3, 95)), "few": str(rng.randint(2, 9)),
        "target": f"{rng.randint(2, 30) * 1000:,}", "weeks": str(rng.randint(4, 16)),
        "ratio": f"{rng.randint(11, 39) / 10:.1f}",
    }


def _story_paragraphs(rng: random.Random, facts: dict[str, str], relevant_pool: tuple[str, ...],
                      other_pool: tuple[str, ...]) -> list[str]:
    """A medical-tourism story's paragraphs: its own facts first and throughout, with sentences of
    the demo articles in between."""
    templates = rng.sample(_words()["story_facts"], 8)  # of 16: another story shares about half
    paragraphs = [_particles(templates.pop().format(**facts))]
    for _ in range(rng.randint(4, 6)):
        sentences = []
        for _ in range(rng.randint(2, 3)):
            draw = rng.random()
            if draw < 0.55 and templates:
                sentences.append(_particles(templates.pop().format(**facts)))
            else:  # figures are what tells two stories apart: the filler brings none
                sentences.append(rng.choice(_plain(relevant_pool if draw < 0.7 else other_pool)))
        paragraphs.append(" ".join(sentences))
    return paragraphs


@cache
def _plain(pool: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(s for s in pool if not any(c.isdigit() for c in s))


_PARTICLE = re.compile(r"(.)\((은|이|을|과|으로)\)")
_PAIRS = {"은": ("은", "는"), "이": ("이", "가"), "을": ("을", "를"), "과": ("과", "와"), "으로": ("으로", "로")}


def _particles(text: str) -> str:
    """"부산관광공사(은)" → "부산관광공사는": each marked particle as the syllable before it takes it
    (with a final consonant the first form; 으로 is 로 after a vowel or a final ㄹ)."""

    def pick(m: re.Match[str]) -> str:
        prev, mark = m.group(1), m.group(2)
        final = (ord(prev) - 0xAC00) % 28 if "가" <= prev <= "힣" else 0
        with_final, without = _PAIRS[mark]
        use = with_final if final and not (mark == "으로" and final == 8) else without
        return prev + use

    return _PARTICLE.sub(pick, text)


NEW_ID_BASE = 50000  # above any seeded article id (1000 + articles per outlet)
