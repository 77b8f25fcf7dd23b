"""Near-duplicate story detection for Korean news (dedupe layer 3: one story, many outlets).

`dedupe_text` strips what differs between outlets carrying one release (wire datelines, reporter
and e-mail lines, copyright lines, photo captions, page chrome) and folds the rest to
"title\nbody". `signature` min-hashes it, `band_keys` turns the signature into LSH keys that the
store indexes in `story_bands`, and `same_story` decides on the few candidates the keys return,
using the full texts of both articles.

Shingles: 4 characters of spaceless text. Korean spacing and particles vary between outlets
("8~9일" / "8일부터 9일까지", "협력망을" / "협력망 을"), so words are poor units; four syllables are
about a content word plus its ending. Unrelated articles share almost none (Jaccard < 0.03).

Signature (SIG_SIZE = 168 unsigned 32-bit values, 672 bytes encoded; a stored 160-value one
reads as anchor-less), all from fixed constants derived with blake2b, so identical across
processes, machines and numpy versions:

* [0:128] MinHash of the whole text under multiply-shift permutations. 42 bands of 3 rows: a
  pair becomes a candidate with probability 1 - (1 - J^3)^42, 0.68 at Jaccard 0.3, 0.94 at 0.4,
  0.997 at 0.5, about 1e-4 at 0.01.
* [128:159] MinHash of the body's lead (its first 150 spaceless characters), 10 bands of 3 rows:
  a copy that keeps only the first paragraphs has a low whole-text Jaccard (0.25-0.35) but the
  same lead.
* [159] a hash of the set of figures in the body (when it states at least 4), one key: a
  paraphrased rewrite of a release shares few shingles (Jaccard 0.15-0.3) but all its figures.
* [160:168] MinHash of the text's anchors (named actors and distinct figures, `anchors`), 8
  one-row bands: a rewrite keeps them while its sentences change.
An empty text has no keys at all (empty texts must not all collide).

What the labelled set (tests/data/dedupe_pairs.jsonl) measures, as exact body Jaccard: copies
with other chrome, wire lines or headline 0.97-1.0; light edits 0.58-0.85; cut copies 0.25-0.33
(contained 0.8-1.0); paraphrases 0.17-0.26. Near-misses: one organisation's template notices
0.72-0.74, one outlet's notices with appended boilerplate 0.59-0.64, templated releases of two
districts and one annual event in two years 0.3-0.51 (up to 0.7 when only the figures and
place names change), follow-ups reusing background 0.16-0.34.
Jaccard alone cannot separate these, so `copy_decision` decides in this order (and when it
refuses, `same_story` tries the scored rewrite path, see `rewrite_decision`):

1. Empty bodies never join anything (nothing to compare but a headline).
2. Different facts never join. Copies of one release state the same figures (dates, counts,
   years, amounts, read by value: "1만2천430" = "12,430"); templated near-misses differ exactly
   there. Figures are compared with their counter ("4일" a date, "4곳" places, "4개" items):
   templated releases reuse small numbers in other roles, and by bare value one campaign's
   releases for two cities looked 80% alike. Both sides must have >= NUMBER_CONFLICT_MIN (2)
   such quantities the other lacks, making up >= NUMBER_CONFLICT_SHARE (25%) of each side, so a
   rewrite that drops or reformats one figure still joins; headlines naming different years
   also conflict.
3. Short bodies (< SHORT_BODY_CHARS = 200 spaceless characters: photo articles, one-line notices)
   carry little evidence: they join only when headline (>= TITLE_SHORT 0.75) and body
   (>= JACCARD_SHORT 0.6) both agree, or a paragraph-long body (>= VERBATIM_MIN_CHARS) is
   verbatim (>= VERBATIM_SHORT 0.95) in another outlet (a re-headlined copy), or when the short
   body is a cut of the other (contained >= CONTAINMENT_CUT 0.9, all its >= 2 figures in the
   other, and a headline >= TITLE_SAME 0.45 alike — or, in another outlet, a paragraph-long
   body stating >= FACTS_MIN figures: a re-headlined cut or light edit); never more than
   NEAR_DAYS apart.
4. Beyond FAR_DAYS (7) apart only a near-verbatim copy (>= JACCARD_FAR 0.9) with agreeing figures
   joins: releases are copied within days (a weekly paper's verbatim copy still joins), while an
   annual event or a follow-up comes weeks or a year later.
5. One outlet rarely carries a story twice (its own re-edits are layer 2), but its notices share
   templates and appended boilerplate: a same-outlet pair needs headlines >= TITLE_SAME_OUTLET
   (0.7) alike.
6. Within NEAR_DAYS (3) (or undated): identical figures (>= FACTS_MIN 4) and body Jaccard
   >= JACCARD_FACTS (0.15) join (a paraphrased rewrite of the same release).
7. Body Jaccard >= JACCARD_SAME (0.55) joins within NEAR_DAYS; down to JACCARD_EDITED (0.3), or
   3-7 days apart, it needs a second signal: the shorter body contained in the other
   (>= CONTAINMENT_SAME 0.8, a cut or extended copy) or headlines >= TITLE_SAME (0.45) alike with
   agreeing figures. Follow-ups reusing a background paragraph fall below both.

A missing `published_at` is neither evidence for nor against; naive times are Korea time.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import numpy as np

from crawler.clock import SEOUL as _SEOUL

SHINGLE = 4
NUM_PERM = 128  # min-hashes of the whole text
LEAD_PERM = 31  # min-hashes of the body's lead (its first LEAD_CHARS spaceless characters)
LEAD_CHARS = 150
ANCHOR_PERM = 8  # min-hashes of the text's anchors (named actors, distinctive figures)
OLD_SIG_SIZE = NUM_PERM + LEAD_PERM + 1  # signatures stored before anchors (read as anchor-less)
SIG_SIZE = OLD_SIG_SIZE + ANCHOR_PERM  # [159]: hash of the body's figures ("facts"), then anchors
FACTS_MIN = 4  # figures a body needs for a facts key
BANDS, ROWS = 42, 3  # over the whole-text part
ANCHOR_BANDS, ANCHOR_ROWS = 8, 1  # over the anchor part
ANCHORS_MIN = 3  # anchors a text needs for anchor keys (fewer say nothing about the story)
LEAD_BANDS, LEAD_ROWS = 10, 3  # over the lead part
EMPTY_VALUE = 0xFFFFFFFF  # every slot of an empty text's signature

JACCARD_SAME = 0.55
JACCARD_EDITED = 0.30
CONTAINMENT_SAME = 0.80
CONTAINMENT_CUT = 0.90
TITLE_SAME = 0.45
TITLE_SAME_OUTLET = 0.70
JACCARD_FAR = 0.90
NEAR_DAYS = 3.0
FAR_DAYS = 7.0
SHORT_BODY_CHARS = 200
VERBATIM_SHORT = 0.95
VERBATIM_MIN_CHARS = 100  # a paragraph, not a photo caption or a one-line notice
TITLE_SHORT = 0.75
JACCARD_SHORT = 0.60
NUMBER_CONFLICT_MIN = 2
NUMBER_CONFLICT_SHARE = 0.25
JACCARD_RELATED = 0.15
JACCARD_FACTS = 0.15
LEAD_PLACE_CHARS = 120  # the lead whose places say whose story it is
SENTENCE_MIN_CHARS = 20  # shorter pieces are captions and fragments
SENTENCE_FOUND = 0.6  # share of a sentence's shingles in one sentence of the other text
SENTENCE_SAME = 0.75  # ... for the same sentence with its figures changed (a template)
SIMILARITY_FLOOR = 0.1  # estimated whole-text Jaccard below which copies never join
ANCHOR_FLOOR = 0.125  # one anchor min-hash in common: a real rewrite can share no more



# ---------------------------------------------------------------- normalisation

_WIRES = r"연합뉴스|뉴시스|뉴스1|newsis|news1|yonhap|뉴스핌|뉴스웨이|뉴데일리|노컷뉴스|머니투데이|아시아경제|이데일리|헤럴드경제"
_OPEN, _CLOSE = r"[\[(【〔<（［]", r"[\])】〕>）］]"
_REPORTER = (
    r"[가-힣]{2,4}(?:\s*[·,]?\s*[가-힣]{2,4}){0,3}\s*(?:기자|특파원|통신원|객원기자|인턴기자)"
)
# "(서울=연합뉴스) 홍길동 기자 =", "[인천=뉴시스]홍길동 기자 =", "【제주=뉴시스】", "[뉴스1]"
_DATELINE_RE = re.compile(
    rf"^[ \t]*{_OPEN}[^\])】〕>）］\n]{{0,24}}(?:=|{_WIRES})[^\])】〕>）］\n]{{0,24}}{_CLOSE}"
    rf"[ \t]*(?:{_REPORTER})?[ \t]*[=＝]?[ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
_INLINE_WIRE_RE = re.compile(rf"{_OPEN}\s*(?:{_WIRES})\s*{_CLOSE}", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHOTO_CREDIT_RE = re.compile(
    r"[\[(<（]\s*(?:사진|사진제공|자료|제공|그래픽|영상)\s*[=:／/][^\])>）]{0,40}[\])>）]"
)
_REPORTER_LINE_RE = re.compile(
    rf"^[/\s•·]*(?:[가-힣]{{2,8}}\s+)?(?:{_REPORTER}|편집국|편집부|취재팀|온라인뉴스팀)\s*[=]?\s*$"
)
_COPYRIGHT_RE = re.compile(
    r"저작권자|무단\s*전재|재배포\s*금지|copyright|all rights reserved|ⓒ|©|AI\s*학습|제보를 기다립니다",
    re.IGNORECASE,
)
_DATE_LINE_RE = re.compile(
    r"^\s*[•·]?\s*(?:입력|등록|수정|승인|발행|기사입력|최종수정|업데이트)\s*:?\s*\d{2,4}[-./년]"
)
_CAPTION_RE = re.compile(r"^\s*[▲△☞]")
# page furniture that extraction sometimes leaves in a body, compared without spaces
_CHROME_PHRASES = frozenset(
    "".join(p.lower().split())
    for p in (
        "기사 메일전송", "기사수정", "목록 바로가기", "인쇄", "관련기사", "가장 많이 본 뉴스",
        "많이 본 뉴스", "최신뉴스", "기상청 제공", "SNS 기사보내기", "기사보내기", "기사제보",
        "공유하기", "URL복사", "글씨크기", "이 기사를 공유합니다", "기사 듣기", "본문 글씨 키우기",
        "본문 글씨 줄이기", "기사 저장", "댓글", "좋아요", "스크랩", "닫기", "바로가기",
    )
)  # fmt: skip
_CHROME_WORDS = frozenset(
    "인쇄 페이스북 트위터 카카오톡 카카오스토리 네이버 밴드 링크 이메일 공유하기 스크랩 닫기 댓글 "
    "좋아요 url복사 기사제보 기사수정 관련기사 최신뉴스".split()
)
_TITLE_TAG_RE = re.compile(r"^\s*[\[【〔<(（［][^\]】〕>)）］]{1,12}[\]】〕>)）］]\s*")
_TITLE_SUFFIX_RE = re.compile(r"\s+[-|｜]\s+[^-|｜]{1,15}$")
_DIGIT_GROUP_RE = re.compile(r"(?<=\d),(?=\d{3})")
# "1만2천430", "1천500만", "12.5만", "2024": digits with optional Korean number units
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?(?:[ ]?[억만천](?:[ ]?\d+(?:\.\d+)?)?)*")
_NUMBER_PART_RE = re.compile(r"(\d+(?:\.\d+)?)|([억만천])")
_UNITS = {"만": 10_000, "억": 100_000_000}
_DOTTED_DATE_RE = re.compile(r"(?<![\d.])(\d{2,4})\.(\d{1,2})\.(\d{1,2})(?![\d])")
_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_NON_WORD_RE = re.compile(r"[^\w]+|_+")


def nfkc(text: str) -> str:
    """NFKC-normalise and unify line breaks."""
    return unicodedata.normalize("NFKC", text or "").replace("\r\n", "\n").replace("\r", "\n")


def fold(text: str) -> str:
    """Lower-case, punctuation to spaces, whitespace collapsed."""
    return " ".join(_NON_WORD_RE.sub(" ", text.lower()).split())


def clean_title(title: str) -> str:
    """The headline without section/wire tags ("[포토]", "[인천]") or a trailing " - outlet"."""
    text = nfkc(title).strip()
    while True:
        stripped = _TITLE_TAG_RE.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return _TITLE_SUFFIX_RE.sub("", text).strip()


def _is_chrome(line: str) -> bool:
    """True for a page-furniture line ("기사수정", "목록 바로가기", "SNS 기사보내기")."""
    if len(line) > 40:
        return False
    words = fold(line).split()
    return bool(words) and (
        "".join(words) in _CHROME_PHRASES or all(w in _CHROME_WORDS for w in words)
    )


def _strip_credits(text: str) -> str:
    """Text without wire datelines (at line starts), inline wire credits, e-mails, photo credits."""
    text = _DATELINE_RE.sub("", text)
    text = _INLINE_WIRE_RE.sub(" ", text)
    if "@" in text:
        text = _EMAIL_RE.sub(" ", text)
    return _PHOTO_CREDIT_RE.sub(" ", text)


def _keep_line(line: str, title_key: str) -> bool:
    """False for reporter, copyright, date, caption and chrome lines, and a repeated headline."""
    if (
        not line
        or _REPORTER_LINE_RE.match(line)
        or _DATE_LINE_RE.match(line)
        or _CAPTION_RE.match(line)
    ):
        return False
    if len(line) <= 120 and _COPYRIGHT_RE.search(line):
        return False
    if _is_chrome(line):
        return False
    if len(line) > 2 * len(title_key) + 10:  # too long to be the headline repeated
        return True
    key = fold(line.lstrip("•· "))
    return bool(key) and key != title_key


def clean_body_lines(body: str, title: str = "") -> list[str]:
    """The body's content lines, each NFKC-normalised, without anything outlet-specific."""
    title_key = fold(clean_title(title)) if title else ""
    lines = (line.strip() for line in _strip_credits(nfkc(body)).split("\n"))
    return [line for line in lines if _keep_line(line, title_key)]


def dedupe_text(title: str, body: str) -> str:
    """Normalised "title\nbody" for similarity: NFKC, outlet credits and chrome removed, folded."""
    return fold(clean_title(title)) + "\n" + _fold_body(clean_body_lines(body, title))


def _fold_body(lines: list[str]) -> str:
    """Body lines folded into one string, digit groups joined first ("12,430" -> "12430")."""
    return fold(_DIGIT_GROUP_RE.sub("", "\n".join(lines)))


# counters that say what a figure counts ("4일" is a date, "4곳" places): longest first
_COUNTERS = sorted(
    "개국 개월 개소 번째 시간 포인트 가구 송이 그루 마리 달러 개 곳 명 회 종 대 건 원 세 시 분 일 월 년 "
    "주 박 배 차 번 점 척 면 층 편 쪽 km kg m 톤 위 호 인 채 장 권 병 석".split(),
    key=len, reverse=True,
)
_QUANTITY_RE = re.compile(rf"({_NUMBER_RE.pattern})({'|'.join(_COUNTERS)})?")


def _number_value(token: str) -> str:
    """The value of "1만2천430" (12430), "1천500만" (15000000), "06" (6) as a canonical string."""
    total, section, pending = 0.0, 0.0, None
    for digits, unit in _NUMBER_PART_RE.findall(token):
        if digits:
            pending = float(digits)
        elif unit == "천":
            section += (pending if pending is not None else 1.0) * 1000
            pending = None
        else:
            section += pending or 0.0
            total += (section or 1.0) * _UNITS[unit]
            section, pending = 0.0, None
    total += section + (pending or 0.0)
    return str(int(total)) if total.is_integer() else f"{total:g}"


def _figure_text(text: str) -> str:
    """Digit groups joined ("12,430" -> "12430") and dotted dates split ("2024.6.13")."""
    text = _DIGIT_GROUP_RE.sub("", text) if "," in text else text
    if "." in text:
        text = _DOTTED_DATE_RE.sub(r"\1 \2 \3", text)
    return text


def numbers(text: str) -> frozenset[str]:
    """The numbers a text states, by value ("12,430", "1만2천430" and "12430" alike)."""
    return frozenset(_number_value(m) for m in _NUMBER_RE.findall(_figure_text(text)))


def quantities(text: str) -> frozenset[str]:
    """The figures with what they count: "4일" and "4곳" differ, "1만2천명" = "12,000명"."""
    return frozenset(
        f"{_number_value(m.group(1))}{m.group(2) or ''}"
        for m in _QUANTITY_RE.finditer(_figure_text(text))
    )


# ---------------------------------------------------------------- anchors: who, where, how many

# what an editor checks first: the named actors (a district or city, a body, a hospital, a
# country) and the figures. A rewrite keeps them while its sentences change; a sister story
# (another district, another year, other counts) changes exactly them.
_ACTOR_SUFFIXES = (
    "특별자치도|특별자치시|광역시|특별시|관광공사|관광재단|문화재단|의료원|병원|의원|한의원|치과|"
    "보건소|센터|재단|공사|협회|축제|대학교|구청|군청|시청|도청|위원회|박람회|페스티벌|관광청|보건부"
)
_ACTOR_RE = re.compile(rf"^[가-힣a-z0-9]{{1,12}}?(?:{_ACTOR_SUFFIXES})")
# a district, city or county: "강남구", "화천군", "서울시", "중구" (then a particle or nothing)
_PLACE_RE = re.compile(r"^([가-힣]{1,4}[시군구])(?:[은는이가의와과에도로를]|에서|청|민|$)")
# common words that end like a place ("실시", "연구", "국군")
_NOT_PLACES = frozenset(
    "실시 당시 동시 역시 개시 제시 표시 게시 수시 상시 즉시 임시 도시 감시 무시 지시 전시 착시 "
    "연구 요구 지구 추구 가구 도구 출구 입구 인구 창구 기구 전국 국군 장군 아군 주민 군민 구민 "
    "출시 일시 중시 명시 평시 다시 에이전시 특구 시구 하구 항구 어구 용구 문구 친구 정구 야구 족구 탁구 배구 농구 완구 부시 같이".split()
)
_COUNTRIES = frozenset(
    "몽골 베트남 중국 일본 미국 러시아 카자흐스탄 우즈베키스탄 키르기스스탄 태국 대만 필리핀 "
    "인도네시아 말레이시아 싱가포르 캄보디아 라오스 미얀마 인도 아랍에미리트 사우디아라비아 "
    "카타르 쿠웨이트 오만 독일 프랑스 영국 캐나다 호주 뉴질랜드 이탈리아 스페인 튀르키예 터키 "
    "우크라이나 홍콩 마카오 브라질 멕시코 칠레 페루 이집트".split()
)


_ACTOR_WORD_RE = re.compile(rf"(?<!\S)[가-힣a-z0-9]{{1,12}}?(?:{_ACTOR_SUFFIXES})")
_PLACE_WORD_RE = re.compile(r"(?<!\S)([가-힣]{1,4}[시군구])(?:[은는이가의와과에도로를]|에서|청|민|(?!\S))")
_COUNTRY_RE = re.compile(rf"(?<!\S)({'|'.join(sorted(_COUNTRIES, key=len, reverse=True))})")


def actors(text: str) -> frozenset[str]:
    """The named actors of a folded text: places, bodies, hospitals, events, countries.

    Per word, the first that applies: a body ending in a known suffix (3+ characters), a
    district/city/county with its particle, a country the word starts with. Three scans of the
    whole text (a word-by-word loop cost more than the rest of the features)."""
    found: dict[int, str] = {}
    for m in _ACTOR_WORD_RE.finditer(text):
        if len(m.group(0)) >= 3:
            found[m.start()] = m.group(0)
    for m in _PLACE_WORD_RE.finditer(text):
        if m.start() not in found and m.group(1) not in _NOT_PLACES:
            found[m.start()] = m.group(1)
    for m in _COUNTRY_RE.finditer(text):
        if m.start() not in found and _word_at(text, m.start()) >= 2:
            found[m.start()] = m.group(1)
    return frozenset(found.values())


def _word_at(text: str, start: int) -> int:
    """The length of the word starting at `start`."""
    end = text.find(" ", start)
    end2 = text.find("\n", start)
    ends = [e for e in (end, end2) if e != -1]
    return (min(ends) if ends else len(text)) - start


def places(text: str) -> frozenset[str]:
    """The districts, cities and counties a folded text names ("강남구", "화천군")."""
    return frozenset(
        m.group(1)
        for m in map(_PLACE_RE.match, text.replace("특례시", "시").split())
        if m and m.group(1) not in _NOT_PLACES and not m.group(1).endswith(("특구", "지구"))
    )


def distinct_figures(text: str) -> frozenset[str]:
    """The figures of a text that identify an event: with a counter ("14일", "7명", "2019년")
    or of 3+ digits; a bare small number is too common to mean anything."""
    return frozenset(
        f"{_number_value(m.group(1))}{m.group(2) or ''}"
        for m in _QUANTITY_RE.finditer(_figure_text(text))
        if m.group(2) or len(m.group(1)) >= 3
    )


def anchors(text: str) -> frozenset[str]:
    """Actors and figures of a folded "title\nbody" text, prefixed by kind (their min-hashes
    are the anchor part of the signature)."""
    return frozenset(
        {f"a:{a}" for a in actors(text)} | {f"n:{n}" for n in distinct_figures(text)}
    )


# ---------------------------------------------------------------- MinHash


def _constants(label: str, count: int) -> np.ndarray:
    """`count` fixed 64-bit constants derived from `label` (stable everywhere)."""
    raw = b"".join(
        hashlib.blake2b(f"newswatch/{label}/{i}".encode(), digest_size=8).digest()
        for i in range(count)
    )
    return np.frombuffer(raw, dtype="<u8").astype(np.uint64)


_PERM_A = (_constants("minhash-a", NUM_PERM) | np.uint64(1)).reshape(NUM_PERM, 1)
_PERM_B = _constants("minhash-b", NUM_PERM).reshape(NUM_PERM, 1)
_ROLL = np.uint64(0x100000001B3)
_MIX1, _MIX2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)
_S33, _S32 = np.uint64(33), np.uint64(32)


def shingle_hashes(text: str, k: int = SHINGLE) -> np.ndarray:
    """Sorted unique 32-bit hashes of the k-character shingles of `text` without whitespace."""
    chars = "".join(text.split())
    if not chars:
        return np.empty(0, dtype=np.uint64)
    codes = np.frombuffer(chars.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    k = min(k, len(codes))
    n = len(codes) - k + 1
    h = np.zeros(n, dtype=np.uint64)
    for i in range(k):
        h *= _ROLL
        h ^= codes[i : i + n]
    h ^= h >> _S33  # murmur3 finaliser: spread the rolled bits
    h *= _MIX1
    h ^= h >> _S33
    h *= _MIX2
    h ^= h >> _S33
    return np.unique(h >> _S32)


def _minhash(hashes: np.ndarray, size: int) -> list[int]:
    """MinHash of a set of 32-bit hashes under the first `size` fixed multiply-shift permutations."""
    if hashes.size == 0:
        return [EMPTY_VALUE] * size
    work = np.empty((size, hashes.size), dtype=np.uint64)
    np.multiply(_PERM_A[:size], hashes, out=work)
    np.add(work, _PERM_B[:size], out=work)
    return (work.min(axis=1) >> _S32).tolist()


def signature(text: str) -> list[int]:
    """SIG_SIZE unsigned 32-bit ints: MinHash of the whole `dedupe_text`, of the body's lead, the
    facts hash, and a MinHash of the text's anchors (what a rewrite keeps: actors and figures)."""
    head, _, body = text.partition("\n") if "\n" in text else ("", "", text)
    lead = "".join(body.split())[:LEAD_CHARS]
    whole = _minhash(shingle_hashes(head + body), NUM_PERM)
    return (
        whole
        + _minhash(shingle_hashes(lead), LEAD_PERM)
        + [facts_value(numbers(body))]
        + _minhash(_token_hashes(anchors(text)), ANCHOR_PERM)
    )


def _token_hashes(tokens: frozenset[str]) -> np.ndarray:
    """Sorted unique 32-bit hashes of whole tokens (stable everywhere, unlike hash())."""
    if len(tokens) < ANCHORS_MIN:
        return np.empty(0, dtype=np.uint64)
    return np.unique(
        np.array(
            [int.from_bytes(hashlib.blake2b(t.encode(), digest_size=4).digest(), "little")
             for t in tokens],
            dtype=np.uint64,
        )
    )  # fmt: skip


def facts_value(figures: frozenset[str]) -> int:
    """A 32-bit hash of a body's set of figures, or EMPTY_VALUE when it has fewer than FACTS_MIN."""
    if len(figures) < FACTS_MIN:
        return EMPTY_VALUE
    digest = hashlib.blake2b(
        " ".join(sorted(figures)).encode(), digest_size=4, person=b"facts"
    ).digest()
    return int.from_bytes(digest, "little") % EMPTY_VALUE


def _check(sig: Sequence[int]) -> None:
    """Reject a signature of another size (e.g. one stored by an older scheme)."""
    if len(sig) != SIG_SIZE:
        raise ValueError(f"signature has {len(sig)} values, expected {SIG_SIZE}")


def _bands(values: Sequence[int], bands: int, rows: int, salt: bytes) -> list[int]:
    """One signed 64-bit key per band of `rows` values; none when the part is empty."""
    if all(v == EMPTY_VALUE for v in values):
        return []
    raw = np.asarray(values, dtype="<u4").tobytes()
    width = rows * 4
    return [
        int.from_bytes(
            hashlib.blake2b(
                raw[b * width : (b + 1) * width], digest_size=8, person=salt + bytes([b])
            ).digest(),
            "little",
            signed=True,
        )
        for b in range(bands)
    ]


def band_keys(sig: Sequence[int]) -> list[int]:
    """LSH band keys as signed 64-bit ints (BIGINT): 42 text, 10 lead, 1 facts; none if empty."""
    _check(sig)
    if all(v == EMPTY_VALUE for v in sig[:NUM_PERM]):
        return []
    lead = sig[NUM_PERM : NUM_PERM + LEAD_PERM]
    anchor = sig[OLD_SIG_SIZE:]
    return (
        _bands(sig[:NUM_PERM], BANDS, ROWS, b"text")
        + _bands(lead, LEAD_BANDS, LEAD_ROWS, b"lead")
        + _bands(sig[OLD_SIG_SIZE - 1 : OLD_SIG_SIZE], 1, 1, b"facts")
        # single anchor min-hashes: a rewrite sharing a third of its anchors is a candidate with
        # probability 1 - (1 - 1/3)^8 = 0.96, a fifth 0.83 (the text bands find the copies)
        + _bands(anchor, ANCHOR_BANDS, ANCHOR_ROWS, b"anchor")
    )


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of two whole texts (0.0 when either was empty)."""
    _check(a)
    _check(b)
    full_a, full_b = a[:NUM_PERM], b[:NUM_PERM]
    if all(v == EMPTY_VALUE for v in full_a) or all(v == EMPTY_VALUE for v in full_b):
        return 0.0
    return sum(1 for x, y in zip(full_a, full_b, strict=True) if x == y) / NUM_PERM


def encode_signature(sig: Sequence[int]) -> bytes:
    """Compact storage: SIG_SIZE little-endian uint32 (640 bytes)."""
    _check(sig)
    return np.asarray(sig, dtype="<u4").tobytes()


def decode_signature(data: bytes) -> list[int]:
    """The inverse of `encode_signature`; ValueError for a blob of another scheme's size.

    A blob stored before anchors existed (OLD_SIG_SIZE values) reads as a signature without
    anchors: its story is still found through its text bands."""
    if len(data) == OLD_SIG_SIZE * 4:
        return np.frombuffer(data, dtype="<u4").astype(np.uint64).tolist() + [EMPTY_VALUE] * ANCHOR_PERM
    if len(data) != SIG_SIZE * 4:
        raise ValueError(
            f"signature blob has {len(data)} bytes, expected {SIG_SIZE * 4}: recompute it"
        )
    return np.frombuffer(data, dtype="<u4").astype(np.uint64).tolist()


def anchor_overlap(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard of two texts' anchors (0.0 when either has none)."""
    _check(a)
    _check(b)
    pa, pb = a[OLD_SIG_SIZE:], b[OLD_SIG_SIZE:]
    if all(v == EMPTY_VALUE for v in pa) or all(v == EMPTY_VALUE for v in pb):
        return 0.0
    return sum(1 for x, y in zip(pa, pb, strict=True) if x == y) / ANCHOR_PERM


def worth_comparing(a: Sequence[int], b: Sequence[int]) -> bool:
    """Whether a candidate found through shared bands is worth reading: its text is somewhat
    alike, or it shares an anchor min-hash (a rewrite shares few shingles; on stories-dev an
    eighth of the rewrites joined share only one of the eight)."""
    return similarity(a, b) >= SIMILARITY_FLOOR or anchor_overlap(a, b) >= ANCHOR_FLOOR


# ---------------------------------------------------------------- the decision


@dataclass(frozen=True, eq=False)
class Features:
    """What `same_story` compares, computed once per document."""

    title_grams: frozenset[str]  # character bigrams of the spaceless cleaned headline
    title_years: frozenset[str]
    body_hashes: np.ndarray  # shingle hashes of the cleaned body alone
    body_chars: int  # spaceless length of the cleaned body
    figures: frozenset[str]  # numbers stated in the cleaned body
    quantities: frozenset[str]  # the same with their counters ("4일", "4곳")
    text: str  # dedupe_text(title, body)
    actors: frozenset[str] = frozenset()  # named places, bodies, hospitals, countries
    marks: frozenset[str] = frozenset()  # distinct figures: "14일", "7명", "2019년", "9145"
    lead_places: frozenset[str] = frozenset()  # districts/cities named in the headline and lead
    has_title: bool = False
    body_lines: tuple[str, ...] = ()  # the cleaned body lines (sentences are cut from them)

    @property
    def sentences(self) -> tuple[tuple[np.ndarray, frozenset[str]], ...]:
        """Each body sentence of SENTENCE_MIN_CHARS or more: its shingle hashes and figures.
        Built on first use (only the rewrite path aligns sentences) and kept."""
        cached = self.__dict__.get("_sentences")
        if cached is None:
            cached = _sentences(list(self.body_lines))
            object.__setattr__(self, "_sentences", cached)
        return cached


def features(title: str, body: str) -> Features:
    """Cleaned headline, body shingles and figures of one article."""
    head = clean_title(title)
    lines = clean_body_lines(body, title)
    body_text = _fold_body(lines)
    spaceless_title = fold(head).replace(" ", "")
    text = fold(head) + "\n" + body_text
    return Features(
        title_grams=frozenset(spaceless_title[i : i + 2] for i in range(len(spaceless_title) - 1)),
        title_years=frozenset(_YEAR_RE.findall(head)),
        body_hashes=shingle_hashes(body_text),
        body_chars=len(body_text.replace(" ", "")),
        figures=numbers(body_text),
        quantities=quantities(body_text),
        text=text,
        actors=actors(text),
        marks=distinct_figures(text),
        lead_places=places(text[: len(head) + LEAD_PLACE_CHARS]),
        has_title=bool(spaceless_title),
        body_lines=tuple(lines),
    )


_SENTENCE_END_RE = re.compile(r"(?<=[다요])\.\s*|(?<=[.!?])\s+")


def _sentences(lines: list[str]) -> tuple[tuple[np.ndarray, frozenset[str]], ...]:
    """The body's sentences (line and sentence breaks), as shingle hashes and their figures."""
    out = []
    for line in lines:
        for sentence in _SENTENCE_END_RE.split(_DIGIT_GROUP_RE.sub("", line)):
            folded = fold(sentence)
            if len(folded.replace(" ", "")) >= SENTENCE_MIN_CHARS:
                out.append((shingle_hashes(folded), numbers(folded)))
    return tuple(out)


def _other_values(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two sentences state other values, each one the other lacks. A value whose digits
    appear among the other's ("831" for "8월 31일" with its separator lost) is no difference."""
    digits_a, digits_b = "|".join(sorted(a)), "|".join(sorted(b))
    only_a = [v for v in a - b if v not in digits_b.replace("|", "")]
    only_b = [v for v in b - a if v not in digits_a.replace("|", "")]
    return bool(only_a) and bool(only_b)


def aligned_sentences(a: Features, b: Features) -> tuple[int, int, int]:
    """Sentence-level containment in any order: (sentences of the shorter text found in the
    other — SENTENCE_FOUND of their shingles there —, of them those that state figures in both,
    and of those the ones whose figures differ: one sentence with other numbers is a template)."""
    short, long_ = (a, b) if len(a.sentences) <= len(b.sentences) else (b, a)
    found = with_figures = changed = 0
    for hashes, marks in short.sentences:
        best, best_marks = 0.0, frozenset[str]()
        for other, other_marks in long_.sentences:
            common = np.intersect1d(hashes, other, assume_unique=True).size
            share = common / min(hashes.size, other.size) if hashes.size and other.size else 0.0
            if share > best:
                best, best_marks = share, other_marks
        if best >= SENTENCE_FOUND:
            found += 1
            if marks and best_marks:
                with_figures += 1
                changed += best >= SENTENCE_SAME and _other_values(marks, best_marks)
    return found, with_figures, changed


@dataclass(eq=False)
class StoryDoc:
    """One stored article as the story layer sees it; `sig` is computed when left empty."""

    id: str
    outlet: str
    title: str
    body: str
    published_at: datetime | None = None
    sig: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.sig:
            self.sig = signature(self.features.text)

    @cached_property
    def features(self) -> Features:
        return features(self.title, self.body)


def overlap(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Exact Jaccard and containment (of the smaller in the larger) of two shingle-hash sets."""
    if a.size == 0 or b.size == 0:
        return 0.0, 0.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / (a.size + b.size - common), common / min(a.size, b.size)


def title_similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two headlines' character bigrams."""
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def figures_conflict(a: Features, b: Features) -> str:
    """Why two texts state different facts ("" when they do not): other years, other figures."""
    if a.title_years and b.title_years and a.title_years.isdisjoint(b.title_years):
        return f"headline years {sorted(a.title_years)} vs {sorted(b.title_years)}"
    # by quantity, not bare value: templated releases reuse small numbers in other roles
    # ("4일" in one is the date, "4개" in the other a count), which hid their differences
    only_a, only_b = a.quantities - b.quantities, b.quantities - a.quantities
    if min(len(only_a), len(only_b)) < NUMBER_CONFLICT_MIN:
        return ""
    if min(len(only_a) / len(a.quantities), len(only_b) / len(b.quantities)) < NUMBER_CONFLICT_SHARE:
        return ""
    return f"figures {sorted(only_a)[:4]} vs {sorted(only_b)[:4]}"


def figures_agree(a: Features, b: Features) -> bool:
    """True when both share figures and few differ: at most one, or a quarter, on either side."""
    if len(a.figures & b.figures) < 2:
        return False
    return all(
        len(x.figures - y.figures) <= max(1, len(x.figures) // 4) for x, y in ((a, b), (b, a))
    )


def figures_within(shorter: Features, longer: Features) -> bool:
    """True when the shorter text states at least two figures, all of them in the longer one."""
    return len(shorter.figures) >= 2 and shorter.figures <= longer.figures


def days_apart(a: datetime | None, b: datetime | None) -> float | None:
    """Days between two publication times (naive ones taken as Korea time); None if unknown."""
    if a is None or b is None:
        return None
    return abs((_aware(a) - _aware(b)).total_seconds()) / 86400


def _aware(moment: datetime) -> datetime:
    """A timezone-aware datetime (naive values are Korea time, as printed on the pages)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=_SEOUL)


# ---------------------------------------------------------------- the scored decision (rewrites)

# A rewrite (sentences reordered, a third cut, local sentences added, a new headline) shares few
# shingles with its release, so the copy rules below miss it. What it keeps is what an editor
# compares: the actors, the figures and dates, some sentences. `rewrite_score` weighs them
# (a logistic model; weights fitted on the even-numbered groups of stories-dev and checked on the
# odd ones, see bench/dedupe.py) and a pair joins when the score is >= REWRITE_SCORE, unless a hard
# conflict says it is a sister story (another district in the lead, another year in the headline,
# more than NEAR_DAYS apart: a follow-up is its own story, linked by `follows`).
REWRITE_WEIGHTS = {
    "contained": 29.0,
    "headline": 0.7,
    "figure_share": 3.3,
    "figures": 0.8,
    "actor_share": 2.8,
    "actors": -0.8,
    "same_day": 1.1,
}
REWRITE_BIAS = -6.6
REWRITE_SCORE = 0.5
RELATED_SCORE = -1.0  # looser: keeps a rewrite's story open to its rewrites (no chaining across)
TEMPLATE_CHANGED_SHARE = 4  # a quarter of the aligned sentences with other figures: a template ...
# ... unless the pair still states most of the same figures: a copy with a typo or an updated count
# (one or two sentences restated, 0.5-0.64 of the figures shared on stories-dev) is not another
# district's release from one template (a third of the figures shared, the rest its own)
FIGURE_SHARE_COPY = 0.45
ACTORS_MIN_REWRITE = 1  # named actors (district, body, hospital; a country is not enough) both name
FIGURES_MIN_REWRITE = 3  # distinct figures on each side before their share decides
FIGURE_SHARE_REWRITE = 0.2  # of the smaller side's figures, stated by the other


def _share(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def rewrite_evidence(a: StoryDoc, b: StoryDoc) -> dict[str, float]:
    """The features `rewrite_score` weighs, by name (also what --explain prints)."""
    fa, fb = a.features, b.features
    contained = overlap(fa.body_hashes, fb.body_hashes)[1]
    days = days_apart(a.published_at, b.published_at)
    return {
        "contained": contained,
        "headline": title_similarity(fa.title_grams, fb.title_grams),
        "figure_share": _share(fa.marks, fb.marks),
        "figures": math.log1p(len(fa.marks & fb.marks)),
        "actor_share": _share(fa.actors, fb.actors),
        "actors": math.log1p(len(fa.actors & fb.actors)),
        "same_day": 1.0 if days is not None and days <= 1 else 0.0,
    }


def rewrite_score(evidence: dict[str, float]) -> float:
    """The logistic score (log-odds) of a pair's evidence."""
    return REWRITE_BIAS + sum(REWRITE_WEIGHTS[k] * v for k, v in evidence.items())


def sister_conflict(a: StoryDoc, b: StoryDoc) -> str:
    """Why two articles cannot be one story however alike they read ("" when none): another
    year in the headline, another district or city in the lead, too far apart, one outlet."""
    fa, fb = a.features, b.features
    if fa.title_years and fb.title_years and fa.title_years.isdisjoint(fb.title_years):
        return f"headline years {sorted(fa.title_years)} vs {sorted(fb.title_years)}"
    for level in "시군구":  # a city and one of its districts are no conflict ("부산시", "수영구")
        pa = {p for p in fa.lead_places if p.endswith(level)}
        pb = {p for p in fb.lead_places if p.endswith(level)}
        if pa and pb and pa.isdisjoint(pb):
            return f"lead places {sorted(pa)} vs {sorted(pb)}"
    days = days_apart(a.published_at, b.published_at)
    if days is not None and days > NEAR_DAYS:
        return f"{days:.0f} days apart"
    if a.outlet and a.outlet == b.outlet:
        return "same outlet"
    return ""


def rewrite_decision(a: StoryDoc, b: StoryDoc) -> tuple[float, str]:
    """(score, evidence text) of the scored path; score is -inf under a hard conflict."""
    if not a.features.body_chars or not b.features.body_chars:
        return float("-inf"), "empty body"
    conflict = sister_conflict(a, b)
    if conflict:
        return float("-inf"), f"sister: {conflict}"
    fa, fb = a.features, b.features
    if min(fa.body_chars, fb.body_chars) < SHORT_BODY_CHARS:
        return float("-inf"), "short body: copies only"
    evidence = rewrite_evidence(a, b)
    if len(fa.marks & fb.marks) + len(fa.actors & fb.actors) < ANCHORS_MIN:
        return float("-inf"), "too few shared actors and figures for a rewrite"
    if len((fa.actors & fb.actors) - _COUNTRIES) < ACTORS_MIN_REWRITE:
        # one story has its actors: a text that shares only template phrases and common
        # figures ("32곳", "11월") with another names none of its district, body or hospital
        return float("-inf"), "no named actor in common"
    if (
        min(len(fa.marks), len(fb.marks)) >= FIGURES_MIN_REWRITE
        and evidence["figure_share"] < FIGURE_SHARE_REWRITE
    ):
        # a template: shared sentences around other figures (another county's subsidy, the
        # next stop of a roadshow); a rewrite keeps the figures and changes the sentences
        return float("-inf"), f"template: figures shared {evidence['figure_share']:.2f}"
    found, with_figures, changed = aligned_sentences(fa, fb)
    if (
        changed
        and changed * TEMPLATE_CHANGED_SHARE >= with_figures
        and (2 * changed > with_figures or evidence["figure_share"] < FIGURE_SHARE_COPY)
    ):
        return float("-inf"), (
            f"template: {changed} of {with_figures} shared sentences with figures state others"
        )
    score = rewrite_score(evidence)
    shown = ", ".join(f"{k} {v:.2f}" for k, v in evidence.items() if v)
    return score, f"rewrite score {score:.2f} ({shown})"


def same_story(a: StoryDoc, b: StoryDoc) -> tuple[bool, float, str]:
    """Whether two articles tell the same story: decision, a ranking score, and the reason.

    The copy rules first (`copy_decision`, precise on verbatim, trimmed and lightly edited
    copies); when they refuse, the scored rewrite path. The ranking score is the body Jaccard
    for a copy, and the rewrite probability scaled below any copy's for a rewrite."""
    ok, jac, reason = copy_decision(a, b)
    if ok or reason == "empty body":
        return ok, jac, reason
    score, why = rewrite_decision(a, b)
    if score >= REWRITE_SCORE:
        return True, 0.1 * _sigmoid(score), why
    return False, jac, f"{reason}; {why}"


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def copy_decision(a: StoryDoc, b: StoryDoc) -> tuple[bool, float, str]:
    """Whether two articles are copies of one text: decision, body Jaccard, and the reason."""
    fa, fb = a.features, b.features
    if not fa.body_chars or not fb.body_chars:
        return False, 0.0, "empty body"
    jac, contained = overlap(fa.body_hashes, fb.body_hashes)
    conflict = figures_conflict(fa, fb)
    if conflict:
        return False, jac, f"different facts: {conflict}"
    title = title_similarity(fa.title_grams, fb.title_grams)
    days = days_apart(a.published_at, b.published_at)
    if min(fa.body_chars, fb.body_chars) < SHORT_BODY_CHARS:
        shorter, longer = (fa, fb) if fa.body_chars <= fb.body_chars else (fb, fa)
        # a verbatim short copy in another outlet is a re-headlined copy (templates differ by more)
        verbatim = jac >= VERBATIM_SHORT and a.outlet != b.outlet and shorter.body_chars >= VERBATIM_MIN_CHARS
        copy = (title >= TITLE_SHORT and jac >= JACCARD_SHORT) or verbatim
        cut = contained >= CONTAINMENT_CUT and figures_within(shorter, longer) and (
            title >= TITLE_SAME
            # a re-headlined cut or edit: a paragraph or more, with its many figures all in the other
            or (
                a.outlet != b.outlet
                and shorter.body_chars >= VERBATIM_MIN_CHARS
                and len(shorter.figures) >= FACTS_MIN
            )
        )
        ok = (copy or cut) and (days is None or days <= NEAR_DAYS)
        return (
            ok,
            jac,
            f"short body: headline {title:.2f}, body {jac:.2f}, contained {contained:.2f}",
        )
    if days is not None and days > FAR_DAYS:
        ok = jac >= JACCARD_FAR and (figures_agree(fa, fb) or not (fa.figures or fb.figures))
        return ok, jac, f"{days:.0f} days apart: body {jac:.2f} (needs {JACCARD_FAR})"
    if a.outlet and a.outlet == b.outlet and title < TITLE_SAME_OUTLET:
        return False, jac, f"same outlet, other headline ({title:.2f})"
    recent = days is None or days <= NEAR_DAYS
    if (
        recent
        and jac >= JACCARD_FACTS
        and len(fa.figures) >= FACTS_MIN
        and fa.figures == fb.figures
    ):
        return True, jac, f"rewrite: body {jac:.2f}, the same {len(fa.figures)} figures"
    if contained >= CONTAINMENT_SAME:
        second = f"body contained {contained:.2f}"
    elif title >= TITLE_SAME and figures_agree(fa, fb):
        second = f"headline {title:.2f} and figures agree"
    else:
        second = ""
    if jac >= JACCARD_SAME and (recent or second):
        return True, jac, f"body {jac:.2f}" + (f", {second}" if second else "")
    if jac >= JACCARD_EDITED and second:
        return True, jac, f"edited copy: body {jac:.2f}, {second}"
    return False, jac, f"body {jac:.2f}" + (f", {second}" if second else "") + " is not enough"


def related(a: StoryDoc, b: StoryDoc) -> bool:
    """Loose kinship used to stop chaining: no contradicting facts and some shared body text,
    or (for rewrites) no sister conflict and a rewrite score not far below the bar."""
    fa, fb = a.features, b.features
    if not fa.body_chars or not fb.body_chars:
        return False
    if not figures_conflict(fa, fb) and overlap(fa.body_hashes, fb.body_hashes)[0] >= JACCARD_RELATED:
        return True
    score = rewrite_decision(a, b)[0]
    if a.published_at is None or b.published_at is None:
        # an unknown date is neither evidence for nor against: half the same-day weight, the
        # expected value (the rewrite score counts it as not the same day, which kept a short
        # rewrite out of a story whose undated first article it matched in all but the date)
        score += 0.5 * REWRITE_WEIGHTS["same_day"]
    return score >= RELATED_SCORE


FOLLOW_DAYS = 45.0  # a follow-up comes days or weeks later; a year later is next year's event
FOLLOW_SCORE = 2.0  # the rewrite score (ignoring the days) a follow-up needs with its story


def follow_up(doc: StoryDoc, earlier: Sequence[tuple[str, StoryDoc]]) -> str | None:
    """The story `doc` follows up, if any: an earlier story (NEAR_DAYS to FOLLOW_DAYS before)
    about the same actors in the same place, alike enough to be its subject. Not merged: a
    follow-up (a final count after an interim one, the results of a programme) is news."""
    if doc.published_at is None or not doc.features.body_chars:
        return None
    best: tuple[float, str] | None = None
    for story, other in earlier:
        days = days_apart(doc.published_at, other.published_at)
        if days is None or not NEAR_DAYS < days <= FOLLOW_DAYS:
            continue
        if _aware(other.published_at) > _aware(doc.published_at):  # type: ignore[arg-type]
            continue
        fa, fb = doc.features, other.features
        if not fb.body_chars or len(fa.actors & fb.actors) < 2:
            continue
        if any(
            {p for p in fa.lead_places if p.endswith(level)}.isdisjoint(
                {p for p in fb.lead_places if p.endswith(level)}
            )
            and any(p.endswith(level) for p in fa.lead_places)
            and any(p.endswith(level) for p in fb.lead_places)
            for level in "시군구"
        ):
            continue
        evidence = rewrite_evidence(doc, other)
        evidence["same_day"] = 0.0
        score = rewrite_score(evidence)
        if score >= FOLLOW_SCORE and (best is None or score > best[0]):
            best = (score, story)
    return best[1] if best else None
