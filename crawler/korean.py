"""Korean text normalisation for matching, with a map back to the original text.

How an article's text is prepared before watchlist terms are looked up in it
(the same steps are applied to every term, so both sides compare alike):

1. **Markup.** Leftover HTML tags (``<br>``, ``<b>``…) are dropped — block tags
   (``br``, ``p``, ``div``, ``li``, headings, table rows) become a line break —
   and entities (``&nbsp;``, ``&amp;``, ``&#8220;``) are decoded.  Angle brackets
   around Korean words (``<매일노동뉴스>``) are text, not tags, and stay.
2. **NFKC.** Fullwidth letters, circled and compatibility characters (``ＫＨＩＤＩ``,
   ``㈜``, ``…``) become their plain forms; decomposed Hangul is composed.
   Hanja stays hanja (醫療 is not turned into 의료).
3. **Case.** Latin letters are lower-cased (``K-의료`` = ``k-의료``, ``MOU`` = ``mou``);
   other scripts (Hangul, Cyrillic, hanja) are unaffected for matching purposes.
4. **Spacing and punctuation.** Middle dots, hyphens, slashes, quotes, brackets,
   symbols and every kind of space become a plain space, and the matcher skips spaces,
   so ``의료 관광`` = ``의료관광`` = ``의료·관광`` and ``외국인환자`` = ``외국인 환자``.
   Particles and suffixes stay attached and terms are found as substrings, so
   ``의료관광객들은`` and ``팸투어를`` contain their terms.  Sentence and list
   boundaries are kept as separators that no term can span: line breaks,
   ``. , ! ? ; :``, ``…``, ``|`` and bullets such as ``▲ △ ■ ● ※``.

Steps 3 and 4 keep the length of the text, so positions in the matched text are
positions in the NFKC text; steps 1 and 2 keep a map.  Every match is reported (and
highlighted) on the text exactly as it was given.  Distances (a rule's ``within``)
are counted in characters of the text, spaces included.

Word boundaries.  Matching substrings of the spaceless text would also find a
term where the original spacing shows a different word split, or inside a longer
word.  Three guards, applied per term by the matcher using the original spacing:

* A two-character term never matches across a space or punctuation
  (``방한`` does not fire on ``지방 한의원``).  A longer term written without spaces
  matches however the article spaces it; a term written *with* spaces (or a hyphen)
  may be split only at those places (``의료 비자`` matches ``의료비자`` and
  ``의료 비자`` but not ``의료비 자부담``).
* A term marked ``word_start`` must begin a word: the character before it in the
  original must not be a letter or digit (``외국`` not inside ``재외국민``,
  ``비자`` not inside ``소비자``).
* Latin terms always need a Latin word boundary on the sides where they begin or
  end with a Latin letter or digit (``MOU`` not inside ``famous``; ``MOU를`` is fine).

Longer words that contain a term but mean something else are listed with the term
(``not_in``: ``유치`` but not ``유치원``; ``메디컬`` but not ``메디컬센터``), and the
longest matching term wins over a shorter one inside it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from functools import cache, lru_cache
from itertools import accumulate

# Kept in the normalised text as separators: no term contains them, so no match spans them.
HARD_BOUNDARIES = "\n.,!?;:…。、|▲△▶▷►▸■□◆◇●○◎◉※☞★☆"

_BLOCK_TAGS = {
    "br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "table",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "section", "article", "figure",
    "figcaption", "hr", "dd", "dt",
}  # fmt: skip
_TAG = r"<(?:!--.*?-->|/?[A-Za-z][A-Za-z0-9]{0,15}(?:\s[^<>]{0,800})?/?>)"
_ENTITY = r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
_MARKUP_RE = re.compile(f"({_TAG}|{_ENTITY})", re.DOTALL)
# The same split in two passes, each with a one-letter prefix that re finds fast (see _split_markup).
_TAG_RE = re.compile(f"({_TAG})", re.DOTALL)
_ENTITY_RE = re.compile(f"({_ENTITY})")
_TAG_NAME_RE = re.compile(r"</?([A-Za-z0-9]+)")
# Separators used in Korean text that are letters by Unicode category (ㆍ and its NFKC form).
_EXTRA_SOFT = "\u318d\u119e\u00b7"
_COMBINING_JAMO = (
    (0x1160, 0x11FF),  # medial vowels and final consonants
    (0xD7B0, 0xD7FF),
)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class _Stage:
    """A piecewise map from a rewritten text back to the text it was rewritten from.

    Parts alternate between kept runs (even index, copied unchanged) and replaced
    runs (odd index); positions inside a replaced run map to the whole run.
    """

    __slots__ = ("_new_parts", "_new_starts", "_old_parts", "_old_starts")

    def __init__(self, old_parts: list[str], new_parts: list[str]) -> None:
        # The positions are worked out when first needed (most texts never map a position back).
        self._old_parts: list[str] | None = old_parts  # None once the starts are made
        self._new_parts = new_parts
        self._old_starts: list[int] = []
        self._new_starts: list[int] = []

    @property
    def old_starts(self) -> list[int]:
        if self._old_parts is not None:
            self._starts()
        return self._old_starts

    @property
    def new_starts(self) -> list[int]:
        if self._old_parts is not None:
            self._starts()
        return self._new_starts

    def _starts(self) -> None:
        old_parts, new_parts = self._old_parts, self._new_parts
        if old_parts is None:
            return
        self._old_starts = list(accumulate(map(len, old_parts), initial=0))
        self._new_starts = list(accumulate(map(len, new_parts), initial=0))
        self._old_parts = None  # last: another thread may be reading the starts meanwhile

    def char_span(self, i: int) -> tuple[int, int]:
        """The span in the old text of the new text's character i."""
        new_starts, old_starts = self.new_starts, self.old_starts
        k = bisect_right(new_starts, i) - 1
        if k % 2 == 0:
            old = old_starts[k] + (i - new_starts[k])
            return old, old + 1
        return old_starts[k], old_starts[k + 1]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The span in the old text of the new text's [start, end)."""
        if end <= start:
            old = self.char_span(start)[0] if start < self.new_starts[-1] else self.old_starts[-1]
            return old, old
        # char_span(start)[0], char_span(end - 1)[1], inlined (called for every hit)
        new_starts, old_starts = self.new_starts, self.old_starts
        k = bisect_right(new_starts, start) - 1
        first = old_starts[k] + (start - new_starts[k]) if k % 2 == 0 else old_starts[k]
        last = end - 1
        k = bisect_right(new_starts, last) - 1
        after = old_starts[k] + (last - new_starts[k]) + 1 if k % 2 == 0 else old_starts[k + 1]
        return first, after


def _split_markup(text: str) -> list[str]:
    """``_MARKUP_RE.split(text)``, about twice as fast: tags first, then entities between them.

    The same parts: an entity has no ``<``, so no entity overlaps a tag, and the entities
    inside a tag (``<a href="?a=1&amp;b=2">``) belong to the tag in both.
    """
    parts = _TAG_RE.split(text) if "<" in text else [text]
    if "&" not in text:
        return parts
    out = [""]
    for i, part in enumerate(parts):
        if i % 2:
            out += (part, "")
        else:
            pieces = _ENTITY_RE.split(part) if "&" in part else [part]
            out[-1] += pieces[0]
            out += pieces[1:]
    return out


def _rewrite(
    text: str,
    split: Callable[[str], list[str]],
    repl: str | Callable[[str], str],
) -> tuple[str, _Stage | None]:
    """Replace every match of a pattern (`split`: the pattern's split, with one capturing
    group = the whole match); keep a map."""
    parts = split(text)
    if len(parts) == 1:
        return text, None
    new_parts = list(parts)
    if isinstance(repl, str):
        new_parts[1::2] = [repl] * (len(parts) // 2)
    else:
        new_parts[1::2] = list(map(repl, parts[1::2]))
    return "".join(new_parts), _Stage(parts, new_parts)


@lru_cache(maxsize=4096)
def _markup_replacement(match: str) -> str:
    """What a tag, comment or entity becomes."""
    if match.startswith("&"):
        return html.unescape(match)
    if match.startswith("<!--"):
        return ""
    name = _TAG_NAME_RE.match(match)
    return "\n" if name and name.group(1).lower() in _BLOCK_TAGS else ""


def _is_combining(ch: str) -> bool:
    """True for characters that NFKC may compose with the character before them."""
    if unicodedata.combining(ch):
        return True
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _COMBINING_JAMO)


# The classes below are built (once, lazily) from the Basic Multilingual Plane, plus whole
# astral blocks: a regex class with many astral ranges is scanned linearly and is slow.
_BMP = range(0x10000)
_ASTRAL_NFKC = "\U0001d400-\U0001d7ff\U0001f100-\U0001f2ff\U0002f800-\U0002fa1f"
_ASTRAL_SOFT = "\U0001f000-\U0001faff\U000e0000-\U000e007f"


@cache
def _combining_bmp() -> frozenset[str]:
    """The BMP characters for which `_is_combining` is true."""
    return frozenset(ch for ch in map(chr, _BMP) if _is_combining(ch))


# Each class also comes without its astral blocks (astral=False), for texts with no character
# outside the BMP (nearly all): every character not in a class costs a test against each range.


@cache
def _nfkc_pattern(astral: bool = True) -> re.Pattern[str]:
    """One character that NFKC changes, or that composes with the character before it."""
    combining = _combining_bmp()
    chars = {
        ch for ch in map(chr, _BMP)
        if ch in combining or unicodedata.normalize("NFKC", ch) != ch
    }  # fmt: skip
    return re.compile(f"([{_compact_class(chars)}{_ASTRAL_NFKC if astral else ''}])")


@cache
def _soft_chars() -> frozenset[str]:
    """The BMP's punctuation, symbols, controls and spaces other than U+0020, except the hard boundaries."""
    soft = set(_EXTRA_SOFT)
    for ch in map(chr, _BMP):
        cat = unicodedata.category(ch)
        if cat[0] in "PSZ" or cat in ("Cc", "Cf"):
            soft.add(ch)
    soft -= set(HARD_BOUNDARIES) | {" "}
    return frozenset(soft)


@cache
def _soft_pattern(astral: bool = True) -> re.Pattern[str]:
    """One soft character: `_soft_chars`, plus the astral blocks of symbols and tags."""
    return re.compile(
        "[" + _compact_class(set(_soft_chars())) + (_ASTRAL_SOFT if astral else "") + "]"
    )


def _compact_class(chars: set[str]) -> str:
    """A character class body with consecutive code points folded into ranges."""
    cps = sorted(map(ord, chars))
    out: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = re.escape(chr(cps[i])), re.escape(chr(cps[j]))
        out.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return "".join(out)


def fold_case(text: str) -> str:
    """Lower-case without changing the length (Latin, Cyrillic, Greek; ASCII-only if needed)."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


class Normalized:
    """A text prepared for matching, with maps back to the text it came from.

    `text` has the same length as `spaced`: soft punctuation and other spaces are
    turned into U+0020, which the matcher skips, and line breaks into ``|``.  It is
    made on first use (`match_text`): the matcher looks terms up in a text of its own
    with the same spaces (see `match_chars`).
    """

    __slots__ = ("_markup", "_nfkc", "_text", "display", "source", "spaced")

    def __init__(
        self,
        source: str,  # the text as given
        display: str,  # markup stripped, entities decoded (what a snippet shows)
        spaced: str,  # display after NFKC: the original spacing, for word-boundary checks
        text: str | None,  # what terms are matched against (None: made when first read)
        _markup: _Stage | None,
        _nfkc: _Stage | None,
    ) -> None:
        self.source = source
        self.display = display
        self.spaced = spaced
        self._text = text
        self._markup = _markup
        self._nfkc = _nfkc

    @property
    def text(self) -> str:
        """What terms are matched against (spaces are skipped while matching)."""
        if self._text is None:
            self._text = match_text(self.spaced)
        return self._text

    def __repr__(self) -> str:
        return (
            f"Normalized(source={self.source!r}, display={self.display!r}, "
            f"spaced={self.spaced!r}, text={self.text!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Normalized):
            return NotImplemented
        return (self.source, self.display, self.spaced, self.text) == (
            other.source, other.display, other.spaced, other.text,
        )  # fmt: skip

    __hash__ = None  # type: ignore[assignment]

    def to_display(self, start: int, end: int) -> tuple[int, int]:
        """Span of [start, end) of `text` in `display`."""
        return self._nfkc.span(start, end) if self._nfkc else (start, end)

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """Span of [start, end) of `text` in the original text."""
        s, e = self.to_display(start, end)
        return self._markup.span(s, e) if self._markup else (s, e)

    def start_of(self, last: int, length: int) -> int:
        """Where a match of `length` non-space characters ending at index `last` starts."""
        return start_of(self.text, last, length)

    def splits(self, start: int, end: int) -> list[int]:
        """Offsets (in non-space characters from start) where [start, end) has a space."""
        return splits(self.text, start, end)


# `start_of` and `splits` look only at the spaces of a matched text, so they also work on
# any text with the same spaces (the matcher's own, see `match_chars`).


def start_of(text: str, last: int, length: int) -> int:
    """Where a match of `length` non-space characters ending at index `last` starts."""
    first = last - length + 1
    if first >= 0 and " " not in text[first : last + 1]:
        return first
    i, count = last, 0
    while i >= 0:
        if text[i] != " ":
            count += 1
            if count == length:
                return i
        i -= 1
    return 0


def splits(text: str, start: int, end: int) -> list[int]:
    """Offsets (in non-space characters from start) where [start, end) has a space."""
    segment = text[start:end]
    if " " not in segment:
        return []
    out, count, prev_space = [], 0, False
    for ch in segment:
        if ch == " ":
            prev_space = True
            continue
        if prev_space and count:
            out.append(count)
        prev_space = False
        count += 1
    return out


def strip_markup(text: str) -> str:
    """Drop HTML tags and decode entities (block tags become line breaks)."""
    if "<" not in text and "&" not in text:
        return text
    return _rewrite(text, _split_markup, _markup_replacement)[0]


def _nfkc(text: str) -> tuple[str, _Stage | None]:
    """NFKC with a map: each changed character (with marks it composes with) is one part."""
    if unicodedata.is_normalized("NFKC", text):
        return text, None
    parts = _nfkc_pattern(_has_astral(text)).split(text)
    combining = _combining_bmp()
    for i in range(1, len(parts), 2):
        first = parts[i][0]
        if first in combining or (first > "\uffff" and _is_combining(first)):
            _attach_to_previous(parts, i)
    new_parts = list(parts)
    new_parts[1::2] = map(_nfkc_part, parts[1::2])
    return "".join(new_parts), _Stage(parts, new_parts)


def _attach_to_previous(parts: list[str], i: int) -> None:
    """Move the character a combining part composes with into that part."""
    if parts[i - 1]:
        parts[i] = parts[i - 1][-1] + parts[i]
        parts[i - 1] = parts[i - 1][:-1]
    elif i >= 2:
        parts[i - 2] += parts[i]
        parts[i] = ""


@cache
def _nfkc_part(part: str) -> str:
    return unicodedata.normalize("NFKC", part)


def normalize(text: str) -> Normalized:
    """Prepare `text` for matching (see the module docstring)."""
    if not text:
        return Normalized(text, text, text, text, None, None)
    display, markup = (
        _rewrite(text, _split_markup, _markup_replacement)
        if ("<" in text or "&" in text)
        else (text, None)
    )
    spaced, nfkc = _nfkc(display)
    return Normalized(text, display, spaced, None, markup, nfkc)


def match_text(spaced: str) -> str:
    """What terms are matched against: `spaced` case-folded, with soft punctuation and
    spaces turned into U+0020 and line breaks into ``|`` (same length)."""
    if not spaced:
        return spaced
    matched = _soft_pattern(_has_astral(spaced)).sub(" ", fold_case(spaced))
    if "\n" in matched:
        matched = matched.replace("\n", "|")
    return matched


def _has_astral(text: str) -> bool:
    """True when `text` has a character outside the BMP."""
    return not text.isascii() and len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)


@cache
def context_cased() -> str:
    """Characters whose lower case is not one character, or depends on the characters around
    it (İ → i̇; Σ → σ, or ς at the end of a word): a text with one is folded as a whole."""
    return "".join(ch for ch in map(chr, _BMP) if len(ch.lower()) != 1) + "\u03a3"


@cache
def match_chars() -> str:
    """What `match_text` makes of each BMP character, alone: 65536 characters, one per code point.

    For a text with no character outside the BMP and none of `context_cased()`, character i
    of `match_text(text)` is ``match_chars()[ord(text[i])]``.  Surrogates and the characters
    of `context_cased()` are kept as they are.
    """
    soft, special = _soft_chars(), set(context_cased())
    out = []
    for cp in _BMP:
        ch = chr(cp)
        if 0xD800 <= cp <= 0xDFFF or ch in special:
            out.append(ch)
            continue
        lowered = ch.lower()
        out.append(" " if lowered in soft else "|" if lowered == "\n" else lowered)
    return "".join(out)


def normalize_term(term: str) -> tuple[str, frozenset[int]]:
    """A term's matching key (no spaces) and the offsets where it was written with a space."""
    norm = normalize(term)
    return norm.text.replace(" ", ""), frozenset(norm.splits(0, len(norm.text)))


def is_latin_word_char(ch: str) -> bool:
    """True for ASCII letters and digits."""
    return bool(ch) and ch.isascii() and ch.isalnum()
