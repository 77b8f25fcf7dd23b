"""Press-release echo: the office registers its own releases; every new article is compared with
the releases of the last NEWSWATCH_RELEASE_WINDOW_DAYS (14) days by the story machinery
(`crawler.dedupe.stories`), and a pick-up records the outlet, when it was first seen and how much
of the release it carried (the share of the release's sentences carried as written, verbatim /
trimmed / rewritten, whether the headline changed).

Inputs that cannot be traced are refused with the reason and the fix (`ReleaseError`): a text
of fewer than two sentences, a list of events, a PDF/HWP attachment. The same release added
twice is recognised (by its normalised text) and not stored again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from crawler import paths
from crawler.clock import SEOUL as _SEOUL
from crawler.config import settings
from crawler.dedupe.stories import (
    REWRITE_SCORE,
    SENTENCE_FOUND,
    StoryDoc,
    clean_body_lines,
    copy_decision,
    fold,
    nfkc,
    rewrite_decision,
    title_similarity,
)
from crawler.registry import load_registry
from crawler.store.models import Article, Release, ReleasePickup

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crawler.store.db import Database

MIN_SENTENCES = 2
VERBATIM_SENTENCE = 0.9  # share of a release sentence's shingles in one article sentence
VERBATIM_KIND = 0.8  # of the release's sentences carried as written: a verbatim copy
PART_SHARE = 0.3  # of them, as written: the article carries (a part of) the release
HEADLINE_SAME = 0.7  # headline bigram Dice at or above which the headline is the release's
LIST_SHARE = 0.6  # lines that are dated items, of all lines: a list of events
ATTACHMENTS = {".pdf": "PDF", ".hwp": "HWP", ".hwpx": "HWPX", ".doc": "Word", ".docx": "Word"}
SUPPORTED = (".txt", ".html", ".htm")


class ReleaseError(ValueError):
    """A release that cannot be registered; the message says why and what to do."""


def window_days() -> int:
    """NEWSWATCH_RELEASE_WINDOW_DAYS (default 14): how long after a release articles are compared."""
    return settings().release_window_days


def releases_dir() -> Path:
    """$NEWSWATCH_HOME/releases/: files dropped here are registered by the scheduler."""
    return paths.home() / "releases"


# ---------------------------------------------------------------- reading a release


@dataclass
class ReleaseText:
    title: str
    body: str
    source: str
    released_at: datetime


_SENTENCE_RE = re.compile(r"(?<=[다요음함])\.(?=\s|$)|(?<=[.!?])\s+|\n+")
_ITEM_RE = re.compile(
    r"^\s*(?:[-•·▲△○◇□■*]|\d+[.)]|\(?\d{1,2}[./월]\s?\d{1,2}[일)]?)"  # a bullet or a date first
)


def sentences(body: str) -> list[str]:
    """The sentences of a text (10+ characters; headings and fragments are not sentences)."""
    parts = (p.strip() for p in _SENTENCE_RE.split(nfkc(body)))
    return [p for p in parts if len(p.replace(" ", "")) >= 10]


def check_text(title: str, body: str) -> None:
    """Refuse what cannot be traced in articles, with the reason and the fix."""
    found = sentences(body)
    if len(found) < MIN_SENTENCES:
        raise ReleaseError(
            f"the release has {len(found)} sentence(s) ({len(body.strip())} characters): at least "
            f"{MIN_SENTENCES} are needed to recognise it in articles — paste the release's full text"
        )
    lines = [line.strip() for line in nfkc(body).split("\n") if line.strip()]
    items = [line for line in lines if _ITEM_RE.match(line) and len(line) < 80]
    if len(lines) >= 4 and len(items) >= LIST_SHARE * len(lines):
        raise ReleaseError(
            f"the release is a list of events ({len(items)} of its {len(lines)} lines are dated or "
            "bulleted items): articles carry one event each, not the list — register each "
            "event's own announcement as a release, or paste the prose of the release"
        )


def read_release(source: str, *, title: str | None = None, date: str | None = None,
                 now: datetime | None = None) -> ReleaseText:
    """A release from a .txt or .html file or a URL; ReleaseError for anything else."""
    now = now or datetime.now(UTC)
    suffix = Path(source.split("?")[0]).suffix.lower()
    if suffix in ATTACHMENTS:
        raise ReleaseError(_attachment_message(ATTACHMENTS[suffix], source))
    if source.startswith(("http://", "https://")):
        raw, url = _fetch(source), source
        found_title, body = _from_html(raw, url) if not _sniff_attachment(raw) else ("", "")
        if _sniff_attachment(raw):
            raise ReleaseError(_attachment_message(_sniff_attachment(raw), source))
    else:
        path = Path(source)
        if not path.is_file():
            raise ReleaseError(f"{source}: no such file")
        raw = path.read_bytes()
        kind = _sniff_attachment(raw)
        if kind:
            raise ReleaseError(_attachment_message(kind, source))
        if suffix in (".html", ".htm"):
            found_title, body = _from_html(raw, path.resolve().as_uri())
        elif suffix == ".txt" or not suffix:
            found_title, body = _from_txt(raw, source)
        else:
            raise ReleaseError(
                f"{source}: {suffix} files are not read — save the release as .txt or .html"
            )
    title = (title or found_title).strip()
    if not title:
        raise ReleaseError(f"{source}: no headline found — give one with --title")
    check_text(title, body)
    return ReleaseText(title, body.strip(), source, _release_time(date, now))


def _attachment_message(kind: str, source: str) -> str:
    return (
        f"{source}: the release is a {kind} attachment, which is not supported — open it, copy "
        "its text into a .txt file (headline on the first line) and run "
        "`newswatch releases add FILE.txt`"
    )


def _sniff_attachment(raw: bytes) -> str:
    """"PDF"/"HWP" when the bytes are such a document whatever the name says, else ""."""
    if raw.startswith(b"%PDF"):
        return "PDF"
    if raw.startswith(b"\xd0\xcf\x11\xe0") or raw.startswith(b"HWP Document File"):
        return "HWP"
    if raw.startswith(b"PK\x03\x04") and (b"Contents/section" in raw[:4000] or b"hwpml" in raw[:4000]):
        return "HWPX"
    return ""


def _from_txt(raw: bytes, source: str) -> tuple[str, str]:
    """Headline = the first non-empty line, body = the rest."""
    for encoding in ("utf-8-sig", "cp949"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ReleaseError(f"{source}: neither UTF-8 nor CP949 text — save it as UTF-8")
    lines = nfkc(text).strip().split("\n")
    return lines[0].strip(), "\n".join(lines[1:])


def _from_html(raw: bytes, url: str) -> tuple[str, str]:
    # start-up time: page extraction (trafilatura) loads only when a release is read from HTML, not
    # in every process that mails the release section
    from crawler.families import extract

    ex = extract(raw, url, family="generic")
    return ex.title or "", ex.body or ""


def _fetch(url: str) -> bytes:
    # start-up time: requests is loaded only when this runs
    import requests

    try:
        with requests.get(url, timeout=30, headers={"User-Agent": "newswatch releases"}) as response:
            response.raise_for_status()
            return response.content
    except requests.RequestException as exc:
        raise ReleaseError(f"{url}: could not fetch it ({exc}) — save the page and add the file") from None


def _release_time(date: str | None, now: datetime) -> datetime:
    """--date (YYYY-MM-DD, Korea time, or ISO 8601) or now."""
    if not date:
        return now
    try:
        moment = datetime.fromisoformat(date)
    except ValueError:
        raise ReleaseError(f"--date {date!r} is not YYYY-MM-DD or ISO 8601") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=_SEOUL)


def text_hash(title: str, body: str) -> str:
    """The release's identity: its folded body (the same text re-saved or re-headlined is the same)."""
    return hashlib.sha256(fold(" ".join(clean_body_lines(body, title))).encode()).hexdigest()


# ---------------------------------------------------------------- registering


@dataclass
class Added:
    release_id: int
    created: bool  # False: the same release was registered before
    title: str
    released_at: datetime


def add_release(session: Session, rel: ReleaseText, now: datetime | None = None) -> Added:
    """Store the release; the same text added twice returns the first registration."""

    digest = text_hash(rel.title, rel.body)
    existing = session.scalar(select(Release).where(Release.text_hash == digest))
    if existing is not None:
        return Added(existing.id, False, existing.title, existing.released_at)
    row = Release(title=rel.title, body=rel.body, text_hash=digest, source=rel.source,
                  released_at=rel.released_at, added_at=now or datetime.now(UTC))
    session.add(row)
    session.flush()
    _CACHE.clear()
    return Added(row.id, True, row.title, row.released_at)


def import_folder(db: Database, folder: Path | None = None) -> list[tuple[str, str]]:
    """Register every .txt/.html file in $NEWSWATCH_HOME/releases/ (the scheduler calls this):
    a registered file moves to `added/`, a refused one to `refused/` beside a `.reason.txt`
    that says why. Returns (file, outcome) for each file handled."""
    folder = folder or releases_dir()
    if not folder.is_dir():
        return []
    done: list[tuple[str, str]] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if path.name.endswith(".reason.txt") or path.name.startswith("."):
            continue
        try:
            rel = read_release(str(path))
            with db.session() as session:
                added = add_release(session, rel)
            outcome = (f"release #{added.release_id} added" if added.created
                       else f"already registered as release #{added.release_id}")
            target = folder / "added"
        except ReleaseError as exc:
            outcome, target = f"refused: {exc}", folder / "refused"
            target.mkdir(exist_ok=True)
            (target / f"{path.name}.reason.txt").write_text(str(exc) + "\n", encoding="utf-8")
        target.mkdir(exist_ok=True)
        path.replace(target / path.name)
        done.append((path.name, outcome))
    return done


# ---------------------------------------------------------------- comparing articles


@dataclass
class Pickup:
    release_id: int
    verbatim_share: float
    kind: str  # verbatim | trimmed | rewritten
    headline_changed: bool
    score: float
    evidence: str


_CACHE: dict[int, tuple[StoryDoc, list[str]]] = {}  # release id -> its doc and folded sentences


def _release_doc(release_id: int, title: str, body: str) -> tuple[StoryDoc, list[str]]:
    cached = _CACHE.get(release_id)
    if cached is None:
        # no date: the window chooses the releases, and a weekly paper's copy comes days later
        doc = StoryDoc(f"release-{release_id}", "", title, body, None)
        cached = _CACHE[release_id] = (doc, _folded_sentences(body, title))
    return cached


def _folded_sentences(body: str, title: str) -> list[str]:
    return [
        "".join(fold(s).split())
        for s in sentences("\n".join(clean_body_lines(body, title)))
    ]


def compare(release_id: int, title: str, body: str, article: StoryDoc) -> Pickup | None:
    """Whether the article carries the release, and how much of it."""
    release, release_sentences = _release_doc(release_id, title, body)
    article_sentences = _folded_sentences(article.body, article.title)
    verbatim = sum(
        1 for s in release_sentences if _best_share(s, article_sentences) >= VERBATIM_SENTENCE
    )
    share = verbatim / len(release_sentences) if release_sentences else 0.0
    if verbatim >= MIN_SENTENCES and share >= PART_SHARE:
        # a part of the release as written (a round-up can carry two releases this way)
        score, reason = share, f"{verbatim} of the release's {len(release_sentences)} sentences as written"
    else:
        undated = StoryDoc(article.id, article.outlet, article.title, article.body, None, sig=article.sig)
        undated.__dict__["features"] = article.features
        ok, jac, reason = copy_decision(release, undated)
        score = jac
        if not ok:
            score, reason = rewrite_decision(release, undated)
            if score < REWRITE_SCORE:
                return None
    carried = sum(1 for s in article_sentences if _best_share(s, release_sentences) >= SENTENCE_FOUND)
    if share >= VERBATIM_KIND:
        kind = "verbatim"
    elif article_sentences and carried >= 0.8 * len(article_sentences) and share >= PART_SHARE:
        kind = "trimmed"  # what it has is the release's, it just has less of it
    else:
        kind = "rewritten"
    headline = title_similarity(release.features.title_grams, article.features.title_grams)
    return Pickup(release_id, round(share, 3), kind, headline < HEADLINE_SAME, round(float(score), 3),
                  reason)  # fmt: skip


def _grams(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(max(len(text) - 2, 0))}


def _best_share(sentence: str, others: list[str]) -> float:
    """The largest share of the sentence's character trigrams found in one of `others`."""
    mine = _grams(sentence)
    if not mine:
        return 0.0
    return max((len(mine & _grams(o)) / len(mine) for o in others), default=0.0)


def record_pickups(session: Session, *, article_id: int, outlet_id: str, doc: StoryDoc,
                   first_seen_at: datetime, window: int | None = None) -> list[Pickup]:
    """Compare a new article with the releases of the window and store its pick-ups (one per
    release it carries: an article can carry two)."""
    window = window_days() if window is None else window
    since = first_seen_at - timedelta(days=window)
    rows = session.execute(
        select(Release.id, Release.title, Release.body).where(
            Release.released_at >= since, Release.released_at <= first_seen_at + timedelta(days=1)
        )
    ).all()
    found = []
    for release_id, title, body in rows:
        pickup = compare(release_id, title, body, doc)
        if pickup is None:
            continue
        session.add(ReleasePickup(release_id=release_id, article_id=article_id, outlet_id=outlet_id,
                                  first_seen_at=first_seen_at, verbatim_share=pickup.verbatim_share,
                                  kind=pickup.kind, headline_changed=pickup.headline_changed,
                                  score=pickup.score, evidence=pickup.evidence[:500]))  # fmt: skip
        found.append(pickup)
    return found


# ---------------------------------------------------------------- the report


@dataclass
class CarriedBy:
    outlet: str
    region: str
    hours_after: float
    kind: str
    verbatim_share: float
    headline_changed: bool
    title: str
    url: str


@dataclass
class ReleaseReport:
    release_id: int
    title: str
    released_at: datetime
    pickups: list[CarriedBy] = field(default_factory=list)

    @property
    def regions(self) -> list[str]:
        return sorted({p.region for p in self.pickups if p.region})


def report(session: Session, since: datetime | None = None,
           regions: dict[str, str] | None = None) -> list[ReleaseReport]:
    """Per release (released since `since`, newest first): who carried it, when, how."""
    query = select(Release).order_by(Release.released_at.desc(), Release.id.desc())
    if since is not None:
        query = query.where(Release.released_at >= since)
    regions = regions if regions is not None else _regions()
    out = []
    for release in session.scalars(query):
        rep = ReleaseReport(release.id, release.title, release.released_at)
        rows = session.execute(
            select(ReleasePickup, Article.title, Article.url, Article.published_at)
            .join(Article, Article.id == ReleasePickup.article_id)
            .where(ReleasePickup.release_id == release.id)
            .order_by(ReleasePickup.first_seen_at, ReleasePickup.id)
        ).all()
        for pickup, title, url, published in rows:
            # the article's own time when it states one (a crawl can come hours after)
            seen = published if published is not None else pickup.first_seen_at
            hours = (seen - release.released_at).total_seconds() / 3600
            rep.pickups.append(CarriedBy(pickup.outlet_id, regions.get(pickup.outlet_id, ""),
                                         round(hours, 1), pickup.kind, pickup.verbatim_share,
                                         pickup.headline_changed, title, url))  # fmt: skip
        rep.pickups.sort(key=lambda c: c.hours_after)  # in the order the outlets carried it
        out.append(rep)
    return out


def _regions() -> dict[str, str]:
    """Outlet id -> region (시도) from the registry; empty when it cannot be read."""
    try:
        return {o.id: o.region for o in load_registry().outlet}
    except Exception:  # noqa: BLE001 - the report still lists outlets, only without regions
        return {}


def render_report(reports: list[ReleaseReport]) -> str:
    """The report as plain text (what `newswatch releases report` prints)."""
    if not reports:
        return "no releases registered (newswatch releases add FILE.txt)\n"
    lines = []
    for rep in reports:
        when = rep.released_at.astimezone(_SEOUL).strftime("%Y-%m-%d %H:%M")
        if not rep.pickups:
            lines.append(f"#{rep.release_id} {rep.title} ({when}): nobody carried it")
            continue
        kinds = {k: sum(1 for p in rep.pickups if p.kind == k) for k in ("verbatim", "trimmed", "rewritten")}
        lines.append(
            f"#{rep.release_id} {rep.title} ({when}): {len(rep.pickups)} article(s) in "
            f"{len({p.outlet for p in rep.pickups})} outlet(s); "
            + ", ".join(f"{k} {n}" for k, n in kinds.items() if n)
            + (f"; regions: {', '.join(rep.regions)}" if rep.regions else "")
        )
        for p in rep.pickups:
            lines.append(
                f"    {p.outlet:<16} {p.region or '-':<4} +{p.hours_after:>6.1f} h  {p.kind:<9} "
                f"verbatim {p.verbatim_share:.0%}{'  new headline' if p.headline_changed else ''}  {p.title}"
            )
    return "\n".join(lines) + "\n"
