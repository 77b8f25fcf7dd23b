"""Alert mail from stories: one message per recipient, an HTML part and a plain-text part.

New stories come in watchlist sections; follow-ups (outlets that joined a story after it was
mailed) in a "추가 보도" section after them, each listing only the outlets new to the recipient.

Every scraped string is escaped (Jinja2 autoescape); highlight markers (`\\x02`…`\\x03`, put
around matched terms by the matcher) become `<mark>` only after escaping. Mail carries the
title, a snippet and links — never a whole article.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.charset import Charset
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from crawler import paths
from crawler.alert.explain import score_text
from crawler.alert.recipients import Maintainer, Recipient
from crawler.clock import SEOUL, korean_time, seoul_text
from crawler.config import settings
from crawler.releases.digest import release_echo

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent / "templates"
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"
TEXT_MARKS = ("«", "»")
SNIPPET_CHARS = 280
SUBJECT_TITLE_CHARS = 60
TITLE_CHARS = 120  # a headline longer than this is junk or a body; the link has the rest
MAX_OUTLETS_SHOWN = 8  # a 40-outlet story names eight and counts the rest
_CONTROLS = re.compile("[\x00\x01\x04-\x1f\x7f-\x9f]")  # C0/C1 except the \x02/\x03 markers
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")  # zero-width, bidi, BOM
_SPACES = re.compile(r"\s+")
_MARKERS = re.compile("([\x02\x03])")
_UTF8 = Charset("utf-8")


@dataclass(frozen=True)
class StoryView:
    """One story as a mail shows it (built from the story, the alert's article and match)."""

    story_id: int
    title: str
    url: str
    outlets: list[tuple[str, str, datetime]]  # (outlet name or id, article URL, first seen)
    published_at: datetime | None
    score: float
    terms: list[str]
    snippet_title: str
    snippet_body: str
    watchlist_id: str
    # a follow-up (outlets that joined after the story was mailed): only these are news to the
    # recipient — (outlet name or id, article URL, published or first seen), earliest first
    followup: bool = False
    revised: bool = False  # mailed before; the article changed materially since (alert revision > 1)
    new_outlets: tuple[tuple[str, str, datetime], ...] = ()
    # in the office's words (crawler.alert.explain); empty when built without a watchlist
    reason: str = ""
    key_terms: tuple[str, ...] = ()
    level: str = ""
    mute_outlet: tuple[str, str] | None = None  # (outlet id, name) of the representative article


@dataclass(frozen=True)
class FeedbackLinks:
    """The relevant / not relevant links under each story; a signed-token version overrides `token()`.

    An empty `base_url` (NEWSWATCH_WEB_URL unset) means no links at all: a link to 127.0.0.1
    would open nothing on the office's phone.
    """

    base_url: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.base_url.strip())

    def mute_url(self, *, recipient: str, watchlist_id: str, story_id: int, outlet_id: str) -> str | None:
        """The "이 매체 제외" link; None where votes are not signed (nothing could prove who clicked)."""
        return None

    def token(self, *, recipient: str, watchlist_id: str, story_id: int) -> str | None:
        """An opaque token proving who clicked; None for now (the dashboard ignores unsigned votes)."""
        return None

    def url(self, *, recipient: str, watchlist_id: str, story_id: int, relevant: bool) -> str:
        """The feedback URL for one story in one recipient's mail."""
        token = self.token(recipient=recipient, watchlist_id=watchlist_id, story_id=story_id)
        who = f"t={quote(token, safe='')}" if token else f"r={quote(recipient, safe='')}"
        query = f"watchlist={quote(watchlist_id, safe='')}&story={story_id}&relevant={int(relevant)}&{who}"
        return f"{self.base_url.rstrip('/')}/feedback?{query}"


@dataclass(frozen=True)
class Envelope:
    """Header values that come from the deployment, not the stories."""

    from_address: str = "newswatch@localhost"
    from_name: str = "newswatch"
    reply_to: str | None = None
    message_id: str | None = None
    contacts: Sequence[Maintainer] = ()
    feedback: FeedbackLinks = field(default_factory=lambda: FeedbackLinks(web_base_url()))
    # "[데모] " on the demo's mail (crawler.demo sets it); a real deployment leaves it unset
    subject_prefix: str = field(default_factory=lambda: settings().subject_prefix)


def web_base_url() -> str:
    """The address the office opens feedback links at: NEWSWATCH_WEB_URL, else "" (no links).

    The dashboard's own listen address (NEWSWATCH_WEB_HOST/PORT) is not a guess for it: a
    server listening on 127.0.0.1 is unreachable from a recipient's phone.
    """
    explicit = settings().web_url  # checked (http/https, no trailing slash) by the settings
    if explicit:
        return explicit
    _warn_no_web_url()
    return ""


@functools.cache
def _warn_no_web_url() -> None:
    """Said once per process: mail goes out without 관련 있음/없음 links."""
    log.warning("NEWSWATCH_WEB_URL is not set: mail carries no feedback links. Set it to the address "
                "the office reaches `newswatch web` at (e.g. https://newswatch.city.example)")


# --- text helpers -------------------------------------------------------------------------


def clean(text: str) -> str:
    """Drop control and invisible format characters (keeping highlight markers); fold whitespace."""
    return _SPACES.sub(" ", _CONTROLS.sub(" ", _INVISIBLE.sub("", text))).strip()


def segments(marked: str) -> list[tuple[str, bool]]:
    """Split marked text into (text, highlighted) runs; stray or nested markers are tolerated."""
    out: list[tuple[str, bool]] = []
    inside = False
    for piece in _MARKERS.split(marked):
        if piece in (MARK_OPEN, MARK_CLOSE):
            inside = piece == MARK_OPEN
        elif piece:
            out.append((piece, inside))
    return out


def truncate(runs: list[tuple[str, bool]], limit: int) -> list[tuple[str, bool]]:
    """Keep at most `limit` characters of text, ending with '…' when cut."""
    out: list[tuple[str, bool]] = []
    left = limit
    for text, hi in runs:
        if left <= 0:
            break
        if len(text) > left:
            out.append((text[:left].rstrip() + "…", hi))
            break
        out.append((text, hi))
        left -= len(text)
    return out


def marked_html(marked: str, limit: int | None = None) -> Markup:
    """Escaped HTML with matched terms in <mark>: escape first, then markers."""
    runs = segments(clean(marked))
    if limit is not None:
        runs = truncate(runs, limit)
    parts = [
        Markup('<mark style="background:#fff1a8;color:#111;padding:0 1px;">{}</mark>').format(t)
        if hi
        else escape(t)
        for t, hi in runs
    ]
    return Markup("").join(parts)


def marked_text(marked: str, limit: int | None = None) -> str:
    """Plain text with matched terms in «…»."""
    runs = segments(clean(marked))
    if limit is not None:
        runs = truncate(runs, limit)
    return "".join(f"{TEXT_MARKS[0]}{t}{TEXT_MARKS[1]}" if hi else t for t, hi in runs)


def plain(marked: str) -> str:
    """Text without markers."""
    return "".join(t for t, _ in segments(clean(marked)))


def safe_url(url: str | None) -> str | None:
    """The URL when it is http(s), else None (no javascript: or data: links in mail or pages)."""
    url = (url or "").strip()
    return url if urlsplit(url).scheme.lower() in ("http", "https") else None


def shorten(text: str, limit: int) -> str:
    text = plain(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- grouping and subject -----------------------------------------------------------------


def sections(
    stories: Iterable[StoryView], watchlist_names: Mapping[str, str]
) -> list[tuple[str, str, list[StoryView]]]:
    """(watchlist id, name, stories) with each story once per watchlist, best score first."""
    by_watchlist: dict[str, dict[int, StoryView]] = {}
    for s in stories:
        kept = by_watchlist.setdefault(s.watchlist_id, {})
        if s.story_id not in kept or s.score > kept[s.story_id].score:
            kept[s.story_id] = s
    out = [
        (wid, watchlist_names.get(wid, wid), sorted(kept.values(), key=_story_order))
        for wid, kept in by_watchlist.items()
    ]
    return sorted(out, key=lambda g: (_story_order(g[2][0]), g[1]))


def _story_order(s: StoryView) -> tuple[float, float, int]:
    when = s.published_at.timestamp() if s.published_at else 0.0
    return (-s.score, -when, s.story_id)


def subject_for(groups: list[tuple[str, str, list[StoryView]]]) -> str:
    """The subject (templates/subject.txt.j2): watchlist names, story count, the best story's title."""
    count = len({s.story_id for _, _, stories in groups for s in stories})
    first = next((s for _, _, stories in groups for s in stories), None)
    return _render_line(
        "subject.txt.j2",
        names=" · ".join(name for _, name, _ in groups),
        count=count,
        title=shorten(first.snippet_title or first.title, SUBJECT_TITLE_CHARS) if first else "",
    )


def arrange(
    stories: Iterable[StoryView], watchlist_names: Mapping[str, str]
) -> tuple[list[tuple[str, str, list[StoryView]]], list[StoryView]]:
    """(sections of the new stories, follow-ups) of one mail.

    A follow-up of a story that the mail shows in full anyway is left out (the full story lists
    every outlet); follow-ups of one story from several watchlists become one, with the union of
    their new outlets.
    """
    stories = list(stories)
    groups = sections([s for s in stories if not s.followup], watchlist_names)
    shown = {s.story_id for _, _, ss in groups for s in ss}
    merged: dict[int, StoryView] = {}
    for s in stories:
        if not s.followup or s.story_id in shown:
            continue
        kept = merged.get(s.story_id)
        if kept is None:
            merged[s.story_id] = s
            continue
        best = s if s.score > kept.score else kept
        added = {(name, url): when for name, url, when in (*kept.new_outlets, *s.new_outlets)}
        outlets = tuple(sorted(((n, u, w) for (n, u), w in added.items()), key=lambda o: o[2]))
        merged[s.story_id] = replace(best, new_outlets=outlets)
    return groups, sorted(merged.values(), key=_story_order)


def followup_subject(followups: Sequence[StoryView], watchlist_names: Mapping[str, str]) -> str:
    """The subject of a mail with follow-ups only (templates/followup_subject.txt.j2)."""
    names = dict.fromkeys(watchlist_names.get(s.watchlist_id, s.watchlist_id) for s in followups)
    first = followups[0]
    return _render_line(
        "followup_subject.txt.j2",
        names=" · ".join(names),
        count=len(followups),
        title=shorten(first.snippet_title or first.title, SUBJECT_TITLE_CHARS),
    )


def _render_line(template: str, **context: Any) -> str:
    """A one-line text template (a header value), whitespace folded."""
    return " ".join(_environment(False).get_template(template).render(context).split())


# --- rendering ----------------------------------------------------------------------------


@functools.cache
def _environment(html: bool) -> Environment:
    """The template environment (autoescaping for HTML), built once per process."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False)
        if html
        else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _story_context(s: StoryView, recipient: Recipient, feedback: FeedbackLinks) -> dict[str, Any]:
    link: dict[str, Any] = {"recipient": recipient.address, "watchlist_id": s.watchlist_id, "story_id": s.story_id}
    mute = None
    if feedback.enabled and s.mute_outlet:
        url = feedback.mute_url(**link, outlet_id=s.mute_outlet[0])
        mute = {"url": url, "name": clean(s.mute_outlet[1])} if url else None
    return {
        **_shared_context(_view_key(s)),
        "revised": s.revised,
        "feedback_yes": feedback.url(**link, relevant=True) if feedback.enabled else None,
        "feedback_no": feedback.url(**link, relevant=False) if feedback.enabled else None,
        "mute": mute,
    }


def _view_key(s: StoryView) -> tuple[Any, ...]:
    """A story view as a hashable key (its outlets list as a tuple)."""
    return (s.story_id, s.title, s.url, tuple(s.outlets), s.published_at, s.score, tuple(s.terms),
            s.snippet_title, s.snippet_body, s.reason, s.key_terms, s.level)  # fmt: skip


def _followup_context(s: StoryView) -> dict[str, Any]:
    """A follow-up: the story's title and link, how many outlets are new, and only those."""
    shared = _shared_context(_view_key(s))
    return {
        "title_html": shared["title_html"],
        "title_text": shared["title_text"],
        "url": shared["url"],
        "added_count": len(s.new_outlets),
        "outlet_count": shared["outlet_count"],
        "outlets": [
            {"name": clean(name), "url": safe_url(u), "when": korean_time(when)}
            for name, u, when in s.new_outlets
        ],
    }


@functools.lru_cache(maxsize=4096)
def _shared_context(key: tuple[Any, ...]) -> dict[str, Any]:
    """The part of a story's context every recipient shares: built once per digest run, not per mail."""
    (_sid, title_raw, url, outlets_raw, published_at, score, terms, snippet_title, snippet_body,
     reason, key_terms, level) = key  # fmt: skip
    outlets = list(outlets_raw) or [(urlsplit(url).hostname or url, url, None)]
    when = published_at or min((o[2] for o in outlets_raw), default=None)
    title = snippet_title or title_raw
    # without the office's key terms (a view built without its watchlist), every matched term
    key_terms = list(key_terms) or [plain(t) for t in terms][:5]
    return {
        "title_html": marked_html(title, TITLE_CHARS),
        "title_text": shorten(title, TITLE_CHARS),
        "url": safe_url(url),
        "outlet_count": len(outlets),
        "outlets": [{"name": clean(name), "url": safe_url(u)} for name, u, _ in outlets[:MAX_OUTLETS_SHOWN]],
        "more_outlets": max(0, len(outlets) - MAX_OUTLETS_SHOWN),
        "when": korean_time(when),
        "score": score_text(score),
        "level": level,
        "reason": clean(reason),
        "terms": [plain(t) for t in key_terms],
        "snippet_html": marked_html(snippet_body, SNIPPET_CHARS),
        "snippet_text": marked_text(snippet_body, SNIPPET_CHARS),
    }


def render_digest(
    recipient: Recipient,
    stories: Sequence[StoryView],
    watchlist_names: Mapping[str, str],
    now: datetime,
    envelope: Envelope | None = None,
) -> tuple[str, str, str]:
    """(subject, html, text) of one recipient's mail."""
    envelope = envelope or Envelope()
    groups, followups = arrange(stories, watchlist_names)
    context: dict[str, Any] = {
        "subject": subject_for(groups) if groups else followup_subject(followups, watchlist_names),
        "recipient_name": recipient.name or recipient.address,
        "generated": korean_time(now),
        "count": len({s.story_id for _, _, ss in groups for s in ss}),
        "followups": [_followup_context(s) for s in followups],
        "sections": [
            {
                "id": wid,
                "name": name,
                "stories": [_story_context(s, recipient, envelope.feedback) for s in ss],
            }
            for wid, name, ss in groups
        ],
        "contacts": [{"name": m.name, "address": m.address} for m in envelope.contacts],
        "feedback": envelope.feedback.enabled,
        "release_echo": _release_echo(recipient, now),
    }
    context["subject"] = envelope.subject_prefix + context["subject"]
    html = _environment(True).get_template("digest.html.j2").render(context)
    text = _environment(False).get_template("digest.txt.j2").render(context)
    return context["subject"], html, text


def _release_echo(recipient: Recipient, now: datetime) -> list[dict[str, Any]]:
    return release_echo(recipient, now)


def compose_digest(
    recipient: Recipient,
    stories: Sequence[StoryView],
    watchlist_names: Mapping[str, str],
    now: datetime,
    envelope: Envelope | None = None,
) -> EmailMessage:
    """One recipient's alert mail (immediate or digest: the same layout) as a MIME message."""
    if not stories:
        raise ValueError("compose_digest needs at least one story")
    envelope = envelope or Envelope()
    subject, html, text = render_digest(recipient, stories, watchlist_names, now, envelope)
    msg = new_message(
        subject,
        to=[Address(recipient.name, addr_spec=recipient.address)],
        now=now,
        envelope=envelope,
    )
    msg.set_content(text, subtype="plain", charset="utf-8", cte="base64")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    return msg


def new_message(
    subject: str, *, to: Sequence[Address], now: datetime, envelope: Envelope
) -> EmailMessage:
    """An empty message with the headers every newswatch mail carries."""
    msg = EmailMessage()
    set_unstructured(msg, "Subject", subject)
    set_addresses(msg, "From", [Address(envelope.from_name, addr_spec=envelope.from_address)])
    set_addresses(msg, "To", to)
    if envelope.reply_to:
        msg["Reply-To"] = envelope.reply_to
    msg["Date"] = format_datetime(now.astimezone(SEOUL))
    if envelope.message_id:
        msg["Message-ID"] = envelope.message_id
    msg["Auto-Submitted"] = "auto-generated"  # no vacation replies to a robot
    return msg


def set_unstructured(msg: EmailMessage, name: str, value: str) -> None:
    """Set a text header, RFC 2047-encoded with the spaces inside the encoded words.

    Python 3.11's folder can leave a space between two encoded words, where readers drop it
    (a space before a dash vanishes); the older `Header` encoder keeps it inside.
    """
    value = " ".join(value.split())
    if value.isascii() and "=?" not in value and len(value) + len(name) < 76:
        msg[name] = value
        return
    msg.set_raw(name, Header(value, "utf-8", header_name=name).encode(linesep="\n"))


def set_addresses(msg: EmailMessage, name: str, addresses: Sequence[Address]) -> None:
    """Set an address header, each display name one RFC 2047 word (see `set_unstructured`).

    A display name split over several encoded words comes back with a space inserted by
    Python's parser, so a long name is shortened to fit one word instead.
    """
    parts = []
    for a in addresses:
        plain_form = formataddr((a.display_name, a.addr_spec))
        if not a.display_name or (a.display_name.isascii() and len(plain_form) <= 76):
            parts.append(plain_form)
        else:
            parts.append(f"{_one_encoded_word(a.display_name)}\n <{a.addr_spec}>")
    msg.set_raw(name, ",\n ".join(parts))


def _one_encoded_word(text: str, limit: int = 74) -> str:
    """`text` as a single =?utf-8?b?…?= word of at most `limit` characters (shortened with '…')."""
    word = _UTF8.header_encode(text)
    while len(word) > limit and len(text) > 1:
        text = text[:-2].rstrip() + "…"
        word = _UTF8.header_encode(text)
    return word


@dataclass(frozen=True)
class FailedDelivery:
    """What the maintainers are told about one recipient whose alerts failed."""

    recipient: str
    alerts: int
    titles: list[str]
    error: str
    attempts: int


def compose_notice(
    maintainers: Sequence[Maintainer],
    failures: Sequence[FailedDelivery],
    now: datetime,
    envelope: Envelope,
) -> EmailMessage:
    """The maintainers' notice about alerts that could not be delivered (plain text)."""
    if not maintainers:
        raise ValueError("no maintainers to notify")
    env = _environment(False)
    text = env.get_template("notice.txt.j2").render(
        failures=failures,
        generated=seoul_text(now),
        recipients_file=str(paths.recipients_file()),
        total=sum(f.alerts for f in failures),
    )
    subject = _render_line(
        "notice_subject.txt.j2", total=sum(f.alerts for f in failures), recipients=len(failures)
    )
    return maintainer_message(maintainers, subject, text, now=now, envelope=envelope)


def maintainer_message(maintainers: Sequence[Maintainer], subject: str, text: str, *, now: datetime,
                       envelope: Envelope) -> EmailMessage:
    """A plain-text notice to the maintainers, with the headers and the Korean-safe subject encoding
    every newswatch mail has (delivery failures, health, a broken configuration file)."""
    msg = new_message(subject, to=[Address(m.name, addr_spec=m.address) for m in maintainers], now=now,
                      envelope=envelope)
    msg.set_content(text, subtype="plain", charset="utf-8", cte="base64")
    return msg
