"""Reporter names from byline texts: "홍길동 기자 hong@x.com" → ["홍길동"]; several reporters split."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .text import EMAIL, TITLES, collapse_spaces

_URL = re.compile(r"https?://\S+|www\.\S+")
_BRACKETED = re.compile(r"\[[^\]]*\]|\([^)]*\)|【[^】]*】|<[^>]*>")
_SPLIT = re.compile(r"\s*(?:[,/·|;、&]|\band\b|\s및\s|\s와\s)\s*", re.IGNORECASE)
_TITLE_WORD = re.compile(TITLES)
_PREFIX = re.compile(
    r"^(?:by\s+|글\s*[·,]?\s*사진\s*[=:]?\s*|글\s*[=:]\s*|사진\s*[=:]\s*|정리\s*[=:]?\s*|"
    r"취재\s*[=:]\s*|영상\s*[=:]\s*|기자\s*[=:]\s*)",
    re.IGNORECASE,
)
# Words in a byline that are a position or a desk, not a name ("민태원 생활과학부 차장").
_POSITION = re.compile(
    r"^(?:[가-힣]+(?:부|국|팀|실|센터|본부|데스크|총국|지사)|[가-힣]*(?:차장|부장|국장|팀장|실장|기자|위원|"
    r"특파원|통신원|교수|대표|선임|수석|에디터|연구원|변호사|작가|평론가|PD|앵커|편집장|주필|논설실장|대기자))$"
)
_HANGUL_TOKENS = re.compile(r"^[가-힣]{2,}(?:\s+[가-힣]{2,})+$")
_DECOR = " \t-–—=:▶■◆▲●◇○*·•|/[]()<>"
_MAX_NAME = 30


def _parts(raw: str) -> list[str]:
    """A byline split into one piece per person."""
    text = _URL.sub(" ", EMAIL.sub(" ", raw))
    text = _BRACKETED.sub(" ", text)
    text = _PREFIX.sub("", collapse_spaces(text))
    # "홍길동 기자 김철수 기자": every title word ends one person
    text = _TITLE_WORD.sub(lambda m: m.group(0) + ",", text)
    return [piece for piece in _SPLIT.split(text) if piece]


def _split_hangul_words(name: str, piece: str) -> list[str]:
    """Split words into names: "김태균 오이석" → two; "민태원 생활과학부 차장" → one (desk, position)."""
    if not _HANGUL_TOKENS.match(name):
        return [name]
    words = [word for word in name.split() if not _POSITION.match(word)]
    if words and "특파원" in piece:
        return words[-1:]  # "워싱턴 홍길동 특파원": a correspondent's byline starts with the city
    if words and all(2 <= len(word) <= 4 for word in words):
        return words
    return [name]


def _name(piece: str) -> str | None:
    """One person's name with titles and decoration removed, or None if nothing name-like is left."""
    name = _TITLE_WORD.sub(" ", piece.rsplit("=", 1)[-1])
    name = collapse_spaces(_PREFIX.sub("", collapse_spaces(name))).strip(_DECOR)
    if not name or len(name) > _MAX_NAME or any(ch.isdigit() for ch in name):
        return None
    return name


def clean_authors(raws: Iterable[str], *, exclude: Iterable[str] = ()) -> list[str]:
    """Distinct reporter names, in order, from one or more byline texts (`exclude`: site names)."""
    excluded = {collapse_spaces(x) for x in exclude if x}
    names: list[str] = []
    for raw in raws:
        for piece in _parts(raw or ""):
            name = _name(piece)
            for word in _split_hangul_words(name, piece) if name else []:
                if word not in excluded and word not in names:
                    names.append(word)
    return names
