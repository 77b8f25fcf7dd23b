"""Plain-text rules for article bodies: whitespace, and the lines that are page chrome, not article.

Each predicate looks at one normalised paragraph. Korean news bodies end with a copyright line
("저작권자 © … 무단전재 및 재배포 금지") and often a reporter line with an e-mail address; share, print
and font-size widgets, ad labels and weather tickers leak into bodies on many skins.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .dates import LABELLED_DATE

_SPACE = re.compile(r"[\s\u00a0\u200b\u200c\u200d\u2060\ufeff\u3000]+")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
TITLES = (
    r"(?:(?:선임|수석|객원|인턴|수습|전문|취재|사진|영상|온라인|디지털)\s*)?"
    r"(?:기자|특파원|통신원|논설위원|편집위원|칼럼니스트|리포터|앵커)"
)
_NAME = r"[가-힣]{2,4}"
_BYLINE = re.compile(
    r"^(?:" + _NAME + r"(?:\s*" + TITLES + r")?[\s,·/=]*){1,4}(?:" + EMAIL.pattern + r"[\s,/]*)*$"
)
_BYLINE_DECOR = "[]()<>{}/=▶■◆▲●◇○·•-–— "
_DATELINE_PARTS = re.compile(
    LABELLED_DATE.pattern
    + r"|"
    + EMAIL.pattern
    + r"|"
    + _NAME
    + r"\s*"
    + TITLES
    + r"|(?:조회수?|댓글|추천)\s*[:：]?\s*[\d,]+\s*회?|[\s|·•/,:()\[\]-]+"
)

# Korean forms only: an English wire credit ("© 2019 AP. All rights reserved.") is often kept
# as part of the article by publishers and by the public benchmark's ground truth.
_COPYRIGHT = re.compile(
    r"(저작권자|저작권|Copyrights?\b|ⓒ|©|\(c\)).{0,80}(무단\s*전재|재배포|전재\s*(및|·)?\s*복사)"
    r"|무단\s*전재\s*(및|와|·|-)?\s*재배포",
    re.IGNORECASE,
)
_UI_TOKEN = re.compile(
    r"^(?:공유(?:하기)?|인쇄(?:하기)?|프린트|스크랩|글[씨자]\s*크기|폰트\s*크기|확대|축소|페이스북|트위터|"
    r"카카오(?:톡|스토리)?|네이버\s*밴드|밴드|라인|URL\s*복사|링크\s*복사|주소\s*복사|이메일|메일(?:보내기|전송)?|"
    r"목록(?:으로)?|댓글|좋아요|북마크|구독(?:하기)?|광고|AD|닫기|SNS|가+[+\-]?|[+\-]|바로가기|"
    r"기사\s*(?:메일전송|공유|저장|보내기|제보|수정|삭제|스크랩)?)$",
    re.IGNORECASE,
)
_WEATHER = re.compile(r"-?\d+(?:\.\d+)?\s*[℃°]")
_AD_LINE = re.compile(
    r"^\s*[\[(<]?\s*(광고|AD|Advertisement|sponsored)\s*[\])>]?\s*$", re.IGNORECASE
)
_RELATED_HEAD = re.compile(
    r"^[\[<【▶■◆\s]*(관련\s*기사|관련\s*뉴스|함께\s*보면\s*좋은\s*기사|추천\s*기사|많이\s*본\s*(뉴스|기사)|"
    r"가장\s*많이\s*본\s*(뉴스|기사)|인기\s*기사|최신\s*(뉴스|기사)|주요\s*(뉴스|기사)|"
    r"이\s*시각\s*(주요|인기)?\s*뉴스)[\]>】\s]*$"
)


@dataclass
class Block:
    """One paragraph of page text and how much of it is link text."""

    text: str
    link_chars: int = 0

    @property
    def is_link_list_item(self) -> bool:
        """Mostly link text: an entry in a related or most-read list."""
        return bool(self.text) and self.link_chars >= 0.8 * len(self.text)


def collapse_spaces(text: str) -> str:
    """NFC, every whitespace run (incl. NBSP, zero-width, ideographic) as one space, stripped."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def is_copyright(line: str) -> bool:
    """A copyright line: "저작권자 © 인천일보 무단전재 및 재배포 금지" and its variants."""
    return len(line) < 200 and bool(_COPYRIGHT.search(line))


def is_reporter_line(line: str) -> bool:
    """A line that is only a byline: "홍길동 기자 hong@x.com", "/홍길동 기자", "hong@x.com"."""
    core = line.strip(_BYLINE_DECOR)
    if not core or len(core) > 80:
        return False
    if EMAIL.fullmatch(core):
        return True
    if not _BYLINE.match(core):
        return False
    return bool(EMAIL.search(core) or re.search(TITLES + r"$", core))


def is_dateline(line: str) -> bool:
    """A line made only of a byline and labelled dates: "홍길동 기자 | 입력 2024.06.13 11:10"."""
    if len(line) > 120 or not LABELLED_DATE.search(line):
        return False
    return not _DATELINE_PARTS.sub("", line).strip()


def is_ui_text(line: str) -> bool:
    """Widget labels: share, print, font size, SNS names, "목록 바로가기", ad labels."""
    if len(line) > 60:
        return False
    if _AD_LINE.match(line):
        return True
    tokens = [token for token in re.split(r"[\s|·/,]+", line) if token]
    return bool(tokens) and all(_UI_TOKEN.match(token) for token in tokens)


def is_weather_ticker(line: str) -> bool:
    """A weather ticker ("서울 3℃ 인천 2℃ … 기상청 제공"), never article text."""
    return "기상청 제공" in line or len(_WEATHER.findall(line)) >= 3


def is_related_heading(line: str) -> bool:
    """A list heading: "관련기사", "가장 많이 본 뉴스" and the like."""
    return len(line) < 30 and bool(_RELATED_HEAD.match(line))


def is_chrome(line: str) -> bool:
    """Any single line that is page chrome rather than article text."""
    return (
        is_reporter_line(line) or is_ui_text(line) or is_weather_ticker(line) or is_dateline(line)
    )


def clean_paragraphs(blocks: list[Block]) -> list[str]:
    """Article paragraphs: chrome dropped, related lists skipped, stop at the copyright line."""
    kept: list[str] = []
    in_related_list = False
    for block in blocks:
        line = collapse_spaces(block.text)
        if not line:
            continue
        if is_copyright(line):
            if kept:
                break
            continue
        if is_related_heading(line):
            in_related_list = True
            continue
        if in_related_list and block.is_link_list_item:
            continue
        in_related_list = False
        if not is_chrome(line):
            kept.append(line)
    return kept
